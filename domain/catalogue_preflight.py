"""The message catalogue's preflight part (config.yaml `preflight`): what
`python -m bot preflight` tells the city's operators. Kept beside `domain/catalogue.py`
so that module stays small."""

from __future__ import annotations

from domain.catalogue import Strict


class PreflightMessages(Strict):
    """What `python -m bot preflight` tells the city's operators before go-live: each
    finding (`what`) with what to set (`fix`), naming the config key or variable."""

    title: str
    passed: str  # one check that needs nothing: {what}
    finding: str  # {what}, {fix}
    remaining: str  # {count} findings left
    clean: str
    key_names: dict[str, str]  # a to_confirm key (nurseries by `phone`/`bring`) -> its name
    to_confirm: str  # {what}, {value}
    to_confirm_fix: str  # {key}
    placeholder_phone: str  # {nursery}, {phone}
    placeholder_phone_fix: str  # {key}
    no_rich_menu: str
    no_rich_menu_fix: str
    env_missing: str  # {name}: a variable that is not set
    secret_fix: str
    token_fix: str
    token_refused: str  # {status}
    line_unreachable: str  # {why}
    line_unreachable_fix: str
    line_account: str  # {name}, {basic_id}
    webhook_unset: str
    webhook_wrong: str  # {url}
    webhook_fix: str  # {path}
    webhook_on_record: str  # {url}, {active}
    webhook_active: dict[bool, str]
    webhook_test_failed: str  # {status}, {reason}
    webhook_test_fix: str
    webhook_test_passed: str
    store_unset: str
    store_unset_fix: str
    store_down: str  # {why}
    store_down_fix: str
    store_indexes: str  # {names}
    store_indexes_fix: str
    store_ready: str
    session_key_fix: str
    session_key_invalid: str
    admin_tokens: str
    admin_tokens_fix: str
    metrics_unset: str
    metrics_fix: str
    test_switch_on: str  # {name}
    test_switch_fix: str  # {name}
    menu_missing: str  # {alias}
    menu_fix: str
    menu_ready: str  # {alias}, {id}
    city_menu_missing: str  # {alias}
    city_menu_fix: str
