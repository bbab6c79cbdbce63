"""The admin API: bearer tokens per nursery or city, every endpoint, errors as JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from qa.screen import texts
from tests.interview_support import registration

FUTABA = "futaba:ft-secret"
CITY = "city:city-secret"

# every endpoint on one nursery's data: (method, path under the nursery, body)
NURSERY_ENDPOINTS = [
    ("GET", "interview-slots", None),
    ("POST", "interview-slots", {"at": "2024-04-23T10:00"}),
    ("DELETE", "interview-slots/2024-04-23T10:00", None),
    ("GET", "interviews/waiting", None),
    ("POST", "interviews/complete", {"child": "目黒 太郎"}),
    ("GET", "registrations", None),
    ("GET", "duplicates", None),
]


@pytest.fixture
async def api(harness):
    harness.bot.settings.admin_tokens = [FUTABA, CITY]

    async def call(
        method: str, path: str, body: Any = None, token: str | None = "ft-secret"
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = harness.url + "/admin/api/" + path
        async with harness._session.request(method, url, json=body, headers=headers) as r:
            return r.status, await r.json()

    return call


@pytest.mark.parametrize(("method", "path", "body"), NURSERY_ENDPOINTS)
async def test_without_a_valid_token_every_endpoint_is_401(api, method, path, body):
    for token in (None, "wrong", FUTABA, CITY):  # the ADMIN_TOKENS entries are not tokens
        status, data = await api(method, f"nurseries/futaba/{path}", body, token=token)
        assert status == 401 and "トークン" in data["error"]


async def test_the_apis_own_refusals_are_json_in_japanese(api, harness):
    """No such route, a method a route does not take, a body that is not a JSON object or
    is too large: each a JSON error staff can read, as every other refusal is."""
    status, data = await api("GET", "nurseries/futaba/registrations/x")
    assert (status, data) == (404, {"error": "このアドレスの操作はありません。"})
    status, data = await api("PATCH", "nurseries/futaba/registrations")
    assert (status, data) == (405, {"error": "この操作はPATCHでは使えません。"})
    url = harness.url + "/admin/api/nurseries/futaba/registrations"
    async with harness._session.patch(url, headers={"Authorization": "Bearer ft-secret"}) as r:
        assert "GET" in r.headers["Allow"]  # HTTP asks a 405 to name what the route takes
    status, data = await api("POST", "nurseries/futaba/phone-bookings", [1, 2])
    assert (status, data) == (
        400,
        {"error": "送る内容はJSONのオブジェクト（{...}）にしてください。"},
    )
    url = harness.url + "/admin/api/nurseries/futaba/phone-bookings"
    headers = {"Authorization": "Bearer ft-secret", "Content-Type": "application/json"}
    async with harness._session.post(url, data=b"x" * (1024 * 1024 + 1), headers=headers) as r:
        assert (r.status, await r.json()) == (
            413,
            {"error": "送られた内容が大きすぎます（1 MBまで）。"},
        )


@pytest.mark.parametrize(("method", "path", "body"), NURSERY_ENDPOINTS)
async def test_a_nursery_token_gets_403_on_another_nursery(api, harness, method, path, body):
    reg = await registration(harness.bot, "Ua", nursery="kuwanomi")
    status, data = await api(method, f"nurseries/kuwanomi/{path}", body)
    assert status == 403 and "桑の実中目黒保育園" in data["error"]
    name = quote("桑の実中目黒保育園", safe="")
    status, _ = await api(method, f"nurseries/{name}/{path}", body)
    assert status == 403
    # nothing was done there
    assert not (await harness.bot.repos.registrations.get(reg.id)).cleared()
    assert await harness.bot.repos.interviews.all("kuwanomi") == []


async def test_unknown_nursery_is_404(api):
    status, data = await api("GET", "nurseries/nowhere/registrations", token="city-secret")
    assert status == 404 and "nowhere" in data["error"]


async def test_slots_added_listed_and_removed_by_nursery_name(api):
    base = "nurseries/" + quote("双葉の園保育園", safe="")
    status, data = await api("POST", f"{base}/interview-slots", {"at": "2024-04-23T10:00"})
    assert status == 201 and data["at"] == "2024-04-23T10:00+09:00" and data["capacity"] == 1
    status, data = await api(
        "POST", f"{base}/interview-slots", {"at": "2024-04-24T14:00+09:00", "capacity": 2}
    )
    assert status == 201 and data["capacity"] == 2
    status, data = await api("GET", f"{base}/interview-slots")
    assert [s["at"] for s in data] == ["2024-04-23T10:00+09:00", "2024-04-24T14:00+09:00"]
    status, data = await api("DELETE", f"{base}/interview-slots/2024-04-23T10:00")
    assert status == 200 and data["at"] == "2024-04-23T10:00+09:00"
    status, data = await api("DELETE", f"{base}/interview-slots/2024-04-23T10:00")
    assert status == 404 and "の面談枠はありません" in data["error"]
    status, data = await api("GET", f"{base}/interview-slots")
    assert [s["at"] for s in data] == ["2024-04-24T14:00+09:00"]


async def test_bad_bodies_are_400_naming_the_field(api):
    status, data = await api("POST", "nurseries/futaba/interview-slots", {"when": "x"})
    assert status == 400 and data["error"] == "面談日時を指定してください。"
    status, data = await api("POST", "nurseries/futaba/interview-slots", {"at": "tomorrow"})
    assert (
        status == 400
        and data["error"] == "面談日時は日時（例：2024-04-23T10:00）で指定してください。"
    )
    status, data = await api("POST", "nurseries/futaba/interviews/complete", {"child": 3})
    assert status == 400 and data["error"] == "児童は文字で指定してください。"
    status, data = await api("POST", "nurseries/futaba/interviews/complete", [1])
    assert status == 400
    status, data = await api("POST", "nurseries/futaba/interview-slots", {"at": "2024-04-19T10:00"})
    assert status == 400 and "過ぎた日時のため" in data["error"]


async def test_complete_waiting_registrations_and_duplicates(api, harness):
    bot = harness.bot
    reg = await registration(bot, "Ua")
    other = await registration(bot, "Ub", parent="目黒 一郎")
    status, data = await api("GET", "nurseries/futaba/interviews/waiting")
    assert status == 200 and [r["child"] for r in data] == ["目黒 太郎", "目黒 太郎"]
    status, data = await api("GET", "nurseries/futaba/duplicates")
    assert status == 200 and len(data) == 1 and len(data[0]["registrations"]) == 2
    status, data = await api("POST", "nurseries/futaba/interviews/complete", {"child": "目黒 太郎"})
    assert status == 409 and "登録の番号で指定してください" in data["error"]
    status, data = await api("POST", "nurseries/futaba/interviews/complete", {"child": reg.id})
    assert status == 200 and data["expiry"] == "2025-03-31" and data["notified"] is True
    pushed = [t for s in harness.line.take("Ua") for t in texts(s.messages)]
    assert any("利用可能" in t and "2025/03/31" in t for t in pushed)
    status, data = await api("GET", "nurseries/futaba/registrations")
    assert status == 200 and sorted(str(r["expiry"]) for r in data) == ["2025-03-31", "None"]
    status, data = await api("GET", "nurseries/futaba/interviews/waiting")
    assert [r["registration"] for r in data] == [other.id]


async def test_city_token_acts_on_every_nursery_and_sees_all_duplicates(api, harness):
    await registration(harness.bot, "Ua", nursery="kuwanomi")
    await registration(harness.bot, "Ub", nursery="kuwanomi")
    status, data = await api("GET", "nurseries/kuwanomi/registrations", token="city-secret")
    assert status == 200 and len(data) == 2
    status, data = await api("GET", "duplicates", token="city-secret")
    assert status == 200 and len(data["kuwanomi"]) == 1 and data["futaba"] == []
    status, data = await api("GET", "duplicates")
    assert status == 403
    status, data = await api("GET", "duplicates", token=None)
    assert status == 401
    status, data = await api("GET", "nurseries", token="city-secret")
    assert [n["id"] for n in data] == ["futaba", "angelica", "kuwanomi"]
    status, data = await api("GET", "nurseries")
    assert [n["id"] for n in data] == ["futaba"]


async def test_tokens_from_the_database_are_scoped_and_stored_hashed(api, harness):
    bot = harness.bot
    token = await bot.repos.tokens.create("kuwanomi", bot.services.now())
    stored = await bot.repos.tokens.all()
    assert len(stored) == 1 and stored[0].scope == "kuwanomi" and token not in stored[0].id
    status, _ = await api("GET", "nurseries/kuwanomi/registrations", token=token)
    assert status == 200
    status, _ = await api("GET", "nurseries/futaba/registrations", token=token)
    assert status == 403
    await bot.repos.tokens.delete(stored[0].id)
    status, _ = await api("GET", "nurseries/kuwanomi/registrations", token=token)
    assert status == 401


async def test_an_env_entry_without_scope_is_a_city_token(api, harness):
    harness.bot.settings.admin_tokens = ["qa-token"]
    status, _ = await api("GET", "nurseries/angelica/registrations", token="qa-token")
    assert status == 200
