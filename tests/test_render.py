"""The renderer keeps every reply within LINE's limits."""

from __future__ import annotations

import pytest

from bot.line.render import render
from domain.replies import Button, Carousel, Column, Sticker, Text
from qa.screen import buttons, texts


def _flat(batches):
    return [m for b in batches for m in b]


def test_more_than_five_messages_are_batched():
    replies = [Text(f"m{i}", (Button(f"b{i}"),)) for i in range(7)]
    batches = render(replies)
    assert [len(b) for b in batches] == [5, 2]
    assert texts(_flat(batches)) == [f"m{i}" for i in range(7)]


def test_plain_texts_are_joined_when_over_five():
    batches = render([Text(f"line{i}") for i in range(8)])
    assert len(batches) == 1 and len(batches[0]) == 1
    assert texts(batches[0])[0].splitlines() == [f"line{i}" for i in range(8)]


def test_a_label_too_long_for_a_quick_reply_puts_the_choices_on_a_card_whole():
    long = "目黒 太郎/アンジェリカ下目黒2丁目保育園"
    english = "Meguro Taro/Angelica Shimomeguro 2-chome Nursery"  # 48: over a card's 40 too
    msgs = _flat(
        render([Text("選んでください", (Button(long), Button("目黒 花子/双葉の園保育園")))])
    )
    assert [m["type"] for m in msgs] == ["flex"]
    actions = [b.action for b in buttons(msgs)]
    assert actions[0]["label"] == long and actions[0]["text"] == long
    assert texts(msgs) == ["選んでください"]
    (msg,) = _flat(render([Text("Please choose", (Button(english),))]))
    action = buttons([msg])[0].action
    assert len(action["label"]) == 40 and action["label"].endswith("…")
    assert action["text"] == english
    assert [b.label for b in buttons([msg])] == [english]


def test_short_labels_stay_quick_replies():
    (msg,) = _flat(render([Text("選んでください", (Button("はい"), Button("いいえ")))]))
    assert [i["action"]["label"] for i in msg["quickReply"]["items"]] == ["はい", "いいえ"]


def test_more_than_thirteen_choices_become_flex_pages():
    labels = [f"{h}:00" for h in range(20)]
    msgs = _flat(render([Text("時刻", tuple(Button(x) for x in labels))]))
    assert all(m["type"] == "flex" for m in msgs)
    assert [b.label for b in buttons(msgs)] == labels
    bubbles = msgs[0]["contents"]["contents"]
    assert all(len(b["footer"]["contents"]) <= 8 for b in bubbles)


def test_carousel_over_twelve_columns_is_split():
    cols = tuple(
        Column(f"t{i}", f"x{i}", (Button("キャンセル", "postback", f"c{i}"),)) for i in range(15)
    )
    msgs = _flat(render([Carousel("予約", cols)]))
    assert [
        len(m["contents"]["contents"]) if m["contents"]["type"] == "carousel" else 1 for m in msgs
    ] == [12, 3]
    picked = [b for b in buttons(msgs) if "x14" in b.context]
    assert picked[0].action["data"] == "c14"


def test_over_long_postback_data_is_refused():
    with pytest.raises(ValueError):
        render([Text("x", (Button("a", "postback", "d" * 301),))])


def test_long_text_is_split_at_5000_characters():
    msgs = _flat(render([Text("あ" * 12000)]))
    assert [len(m["text"]) for m in msgs] == [5000, 5000, 2000]


def test_date_picker_and_sticker():
    msgs = _flat(
        render(
            [
                Text("生年月日", (Button("日付を選ぶ", "date", "bd", max="2024-04-20"),)),
                Sticker("446", "1988"),
            ]
        )
    )
    action = msgs[0]["quickReply"]["items"][0]["action"]
    assert action == {
        "type": "datetimepicker",
        "label": "日付を選ぶ",
        "data": "bd",
        "mode": "date",
        "max": "2024-04-20",
    }
    assert msgs[1] == {"type": "sticker", "packageId": "446", "stickerId": "1988"}


def test_uri_buttons_render_as_a_flex_link():
    (msg,) = _flat(
        render([Text("サイト", (Button("区ウェブサイト", "uri", "https://example.jp"),))])
    )
    assert msg["type"] == "flex"
    assert buttons([msg])[0].action == {
        "type": "uri",
        "label": "区ウェブサイト",
        "uri": "https://example.jp",
    }


# -- the renderer's JSON against line-bot-sdk's models ---------------------------------------
# The bot sends its JSON as it is; the LINE stand-in reads every body with the SDK's request
# models (as every test and replay does) and refuses what they drop or change.

EVERY_KIND = [
    Text("選んでください", (Button("はい"), Button("キャンセル", "postback", "c1"))),
    Text("時刻", tuple(Button(f"{h}:00") for h in range(20))),  # flex pages
    Carousel(
        "予約",
        tuple(Column(f"t{i}", "x", (Button("取消", "postback", f"p{i}"),)) for i in range(3)),
    ),
    Text(
        "生年月日",
        (
            Button(
                "日付を選ぶ", "date", "bd", initial="2022-04-01", max="2024-04-20", min="2018-04-01"
            ),
        ),
    ),
    Text("サイト", (Button("区ウェブサイト", "uri", "https://example.jp"),)),
    Sticker("446", "1988"),
    Text("x" * 6000),
]


async def test_every_kind_of_reply_is_read_unchanged_by_the_sdks_models(harness):
    for i, batch in enumerate(render(EVERY_KIND)):
        await harness.bot.line.push("U1", batch, f"k-kinds-{i}")
    assert harness.line.invalid == []
    assert sum(len(s.messages) for s in harness.line.take("U1")) == len(_flat(render(EVERY_KIND)))


async def test_a_message_the_sdks_models_cannot_read_is_refused_like_line_does(harness):
    from bot.line.client import LineApiError

    with pytest.raises(LineApiError) as e:
        await harness.bot.line.push("U1", [{"type": "text", "txt": "typo"}], "k-bad")
    assert e.value.status == 400 and len(harness.line.invalid) == 1
    assert harness.line.take("U1") == []
