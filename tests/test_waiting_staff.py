"""キャンセル待ち for staff, by the declared operations: a day's line in staff's words (admin
API, CLI), and taking a child off it (the parent is told, the seats pass on, the operation
log says it in Japanese); refusals in staff's words."""

from __future__ import annotations

from typing import Any

import pytest

from bot.staff.log_view import LogView
from bot.staff.operation import Actor
from domain.errors import Conflict, Forbidden, NotFound
from domain.waiting_staff import WaitingStaff
from qa.screen import texts
from tests.staff_waiting_support import DAY, day_with_a_line
from tests.test_admin_api import api  # noqa: F401 (the fixture: tokens for futaba and city)
from tests.test_staff_cli import quiet_logs, staff  # noqa: F401 (fixtures)

FUTABA = Actor("account", "futaba1", "futaba")
D = DAY.isoformat()


def pushed(h: Any, user: str) -> list[str]:
    return [t for s in h.line.take(user) if s.via == "push" for t in texts(s.messages)]


async def test_the_line_reads_first_come_first_in_staff_words(harness, api):  # noqa: F811
    await day_with_a_line(harness.bot)
    status, line = await api("GET", f"nurseries/futaba/waiting-list/{D}")
    assert status == 200
    assert [(r["place"], r["child"], r["start"], r["end"], r["status"]) for r in line] == [
        (1, "目黒 太郎", "9:00", "12:00", "offered"),
        (2, "鷹番 次郎", "10:00", "12:00", "waiting"),
        (3, "中町 さくら", "9:00", "11:00", "waiting"),
    ]
    assert [r["status_label"] for r in line] == [
        "空きを案内中（9:33まで）",
        "順番待ち（2番目）",
        "順番待ち（3番目）",
    ]
    first = line[0]
    assert first["kana"] == "メグロ タロウ" and first["parent"] == "目黒 花子"
    assert first["phone"] == "0312345678" and first["answers"] == {"利用理由": "就労"}
    assert first["joined_at"] == "2024-04-20T09:00+09:00"
    assert first["offered_until"] == "2024-04-20T09:33+09:00"
    assert line[1]["joined_at"] == "2024-04-20T09:01+09:00" and line[1]["offered_until"] is None
    # another nursery's line is its own; another nursery's token may not read this one
    assert await api("GET", "nurseries/futaba/waiting-list/2024-04-24") == (200, [])
    status, data = await api("GET", f"nurseries/kuwanomi/waiting-list/{D}")
    assert status == 403 and "桑の実中目黒保育園" in data["error"]


async def test_removing_an_offered_child_tells_the_parent_and_offers_the_next(harness, api):  # noqa: F811
    h = harness
    await day_with_a_line(h.bot)
    h.line.take("U1"), h.line.take("U2"), h.line.take("U3")
    body = {"child": "目黒 太郎", "date": D, "reason": "利用登録の確認が取れないため"}
    status, done = await api("POST", "nurseries/futaba/waiting-list/remove", body)
    assert status == 200, done
    assert (done["child"], done["status"], done["status_label"]) == (
        "目黒 太郎",
        "removed",
        "取消済み",
    )
    assert done["notified"] is True and done["delivery"] == "sent"
    [notice] = pushed(h, "U1")
    assert notice.startswith(
        "双葉の園保育園の4/23(火) 9:00～12:00のキャンセル待ち（目黒 太郎さん）は保育園により"
        "取り消されました。"
    )
    assert "利用登録の確認が取れないため" in notice
    # the seats held for 目黒 太郎 went to the next whose hours are all free: 鷹番 次郎
    offer = "\n".join(pushed(h, "U2"))  # (however the offer's push is laid out)
    assert "キャンセル待ちの日に空きが出ました" in offer and "10:00～12:00" in offer
    _, line = await api("GET", f"nurseries/futaba/waiting-list/{D}")
    assert [(r["child"], r["status"]) for r in line] == [
        ("鷹番 次郎", "offered"),
        ("中町 さくら", "waiting"),
    ]
    # the operation log: who, the label in staff's words, the child with its furigana
    [entry] = await h.bot.repos.audit.recent()
    assert (entry.operation, entry.actor_kind, entry.nursery) == (
        "remove-waiting",
        "token",
        "futaba",
    )
    assert entry.before["status"] == "offered" and entry.after["status"] == "removed"
    config = h.bot.config
    row = LogView(config.console.log, config.staff.actions, config.zone(), {}).row(entry)
    assert row.operation == "キャンセル待ちの取消"
    params = dict(row.params)
    assert params["児童"] == "目黒 太郎（メグロ タロウ）" and params["日付"] == D
    assert params["理由"] == "利用登録の確認が取れないため"
    before, after = dict(row.before), dict(row.after)
    assert before["状態"] == "空きを案内中" and after["状態"] == "取消済み"
    assert before["案内の期限"] == "2024-04-20 09:33" and before["順番"] == "1"
    assert (
        after["お知らせ"] == "LINEで通知済み"
        and after["キャンセル待ちの登録"] == "2024-04-20 09:00"
    )
    assert not {"電話番号", "保護者", "生年月日", "利用理由"} & (set(before) | set(after))
    assert not any("a" <= c.lower() <= "z" for name, _ in row.after for c in name)


async def test_a_parent_who_blocked_the_account_is_listed_to_phone(harness):
    h = harness
    await day_with_a_line(h.bot)
    await h.send("U3", h.unfollow("U3"))
    done = await h.bot.operations.run(
        "remove-waiting", {"nursery": "futaba", "child": "中町 さくら", "date": D}, FUTABA
    )
    assert done.delivery == "blocked" and not done.notified
    [call] = [c for c in await h.bot.staff.calls.open_calls("futaba") if c.child == "中町 さくら"]
    assert (call.child, call.why, call.phone) == ("中町 さくら", "blocked", "03-5777-8888")
    assert "キャンセル待ち（中町 さくらさん）は保育園により取り消されました" in call.text
    assert [r.child for r in await WaitingStaff(h.bot.services).line("futaba", DAY)] == [
        "目黒 太郎",
        "鷹番 次郎",
    ]


async def test_refusals_are_in_staff_words(harness, api):  # noqa: F811
    h = harness
    entries = await day_with_a_line(h.bot)
    path = "nurseries/futaba/waiting-list/remove"
    status, data = await api("POST", path, {"child": "目黒 三郎", "date": D})
    assert status == 404
    assert data["error"] == (
        "双葉の園保育園の2024-04-23のキャンセル待ちに「目黒 三郎」さんはいません"
        "（予約・辞退などで、すでに終わっているかもしれません）。"
    )
    status, data = await api("POST", path, {"child": "目黒 太郎", "date": "2024-04-19"})
    assert status == 400 and data["error"] == "2024-04-19は過ぎた日です。"
    status, data = await api("POST", path, {"child": "目黒 太郎", "date": D, "reason": "長" * 201})
    assert status == 400 and data["error"] == "理由は200文字以内にしてください。"
    status, data = await api(
        "POST", "nurseries/kuwanomi/waiting-list/remove", {"child": "x", "date": D}
    )
    assert status == 403
    # by its entry id, as the console names it; a second time it is no longer in line
    ops = h.bot.operations
    await ops.run(
        "remove-waiting", {"nursery": "futaba", "child": entries["鷹番 次郎"], "date": D}, FUTABA
    )
    with pytest.raises(NotFound):
        await ops.run(
            "remove-waiting",
            {"nursery": "futaba", "child": entries["鷹番 次郎"], "date": D},
            FUTABA,
        )
    with pytest.raises(Forbidden):
        await ops.run("remove-waiting", {"nursery": "kuwanomi", "child": "x", "date": D}, FUTABA)
    assert [e.operation for e in await h.bot.repos.audit.recent()] == ["remove-waiting"]


async def test_an_entry_that_leaves_the_line_meanwhile_is_refused(harness, monkeypatch):
    """Staff read the line; the parent takes the offer before the removal runs."""
    h = harness
    await day_with_a_line(h.bot)
    service = WaitingStaff(h.bot.services)
    row = await service.find("futaba", "目黒 太郎", DAY)
    [user, offer] = ["U1", row.entry]
    entry = await h.bot.repos.waiting.get(offer)
    assert entry is not None and entry.offer is not None
    assert (await service.waiting.take(user, entry.offer)).outcome == "booked"

    async def stale(*args: Any) -> Any:
        return row

    monkeypatch.setattr(WaitingStaff, "find", lambda self, *a: stale(*a))
    with pytest.raises(Conflict) as refused:
        await service.remove("futaba", "目黒 太郎", DAY)
    assert str(refused.value) == (
        "目黒 太郎さんの2024-04-23のキャンセル待ちは、この操作の間に終わった（予約・辞退など）"
        "ため、取り消せませんでした。画面を開き直して確かめてください。"
    )


async def test_the_cli_lists_the_line_and_removes_from_it(staff, harness):  # noqa: F811
    await day_with_a_line(harness.bot)
    code, line, _ = await staff("waiting-list", "futaba", D)
    assert code == 0 and [r["child"] for r in line] == ["目黒 太郎", "鷹番 次郎", "中町 さくら"]
    code, done, _ = await staff(
        "remove-waiting", "futaba", "中町 さくら", D, "--reason", "保護者から電話で辞退"
    )
    assert code == 0 and done["status"] == "removed" and done["notified"] is True
    code, out, err = await staff("remove-waiting", "futaba", "中町 さくら", D)
    assert code == 1 and out == "" and "キャンセル待ちに「中町 さくら」さんはいません" in err
