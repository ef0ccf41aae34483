"""A rotation killed with SIGKILL (a real ``python -m app.cli rotate-key``
subprocess) at several points: nothing is lost, every value still opens with
old + new key exactly once, and a rerun finishes the job; then the app starts
with the new key alone.

The kill point is made deterministic by a fault injected from outside the app:
with ``APP_TEST_ROTATION_HOOK`` set, the tests run the CLI through
tests/rotation_faults.py, which wraps the rotation's steps so the process kills
itself at a chosen batch, or pauses there so that the test kills it.

Layout with ``--batch-size 2``: cameras (6 rows: batches 1-3, 2 secrets each),
system_settings (2 keys: batch 4), alert_rules (3 rows: batch 5 holds rule 1's
4 secrets, batch 6 rule 3's URL): 13 secrets.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from app.core import encryption
from tests.conftest import assert_no_leak, signed_in
from tests.migration.helpers import (
    Seeded,
    assert_all_under,
    cli_env,
    key_check_state,
    keys,
    new_key,
    paused_rotation,
    run_cli,
    stored_secrets,
)
from tests.test_rotation import encrypted_database

TOTAL_SECRETS = 13


def _under_each_key(url: str, seeded: Seeded, old: str, new: str) -> tuple[int, int]:
    """(under the new key, under the old key); every value must decrypt once to its plaintext."""
    stored = stored_secrets(url)
    assert set(stored) == set(seeded.plaintexts)
    counts = {"primary": 0, "previous": 0}
    with keys(url, new, [old]):
        for context, plaintext in seeded.plaintexts.items():
            value = stored[context]
            state = encryption.key_status(value, context=context)
            assert state in counts, f"{context} is {state} after the kill"
            once = encryption.decrypt(value, context=context)
            assert once == plaintext, f"{context} does not decrypt (exactly once) to its value"
            assert not once.startswith("encrypted:")
            counts[state] += 1
    return counts["primary"], counts["previous"]


@pytest.mark.parametrize(
    ("hook", "rotated_before_rerun"),
    [
        ("kill@after-commit:1", 2),  # first batch committed
        ("kill@before-commit:2", 2),  # second batch written, not committed: rolled back
        ("kill@before-write:4", 6),  # settings batch read and re-encrypted in memory only
        ("kill@after-commit:5", 12),  # in the alert rules
        ("kill@before-key-check", TOTAL_SECRETS),  # everything done except the key check
    ],
)
def test_killed_rotation_loses_nothing_and_a_rerun_finishes(tmp_path, canary, hook, rotated_before_rerun):
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    env = cli_env(tmp_path, url, new, [old])

    killed = run_cli(["rotate-key", "--batch-size", "2"], {**env, "APP_TEST_ROTATION_HOOK": hook})

    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    assert _under_each_key(url, seeded, old, new) == (rotated_before_rerun, TOTAL_SECRETS - rotated_before_rerun)
    # The key check is still the old one: the app needs both keys until the rotation finishes.
    assert key_check_state(url, new, [old]) == "previous"
    assert run_cli(["check-key"], env).returncode == 0
    assert run_cli(["check-key"], cli_env(tmp_path, url, new)).returncode == 1

    rerun = run_cli(["rotate-key", "--batch-size", "2"], env)

    assert rerun.returncode == 0, rerun.stderr
    assert_all_under(url, seeded, new)
    assert key_check_state(url, new) == "primary"
    # Values already under the new key were skipped by the rerun, not rewritten.
    assert f"rows rewritten: {_rows_for(TOTAL_SECRETS - rotated_before_rerun)}" in rerun.stdout
    check = run_cli(["check-key"], cli_env(tmp_path, url, new))
    assert check.returncode == 0, check.stderr
    for secret in seeded.secrets():
        assert_no_leak(secret, killed.stdout, killed.stderr, rerun.stdout, rerun.stderr)


def _rows_for(secrets_left: int) -> int:
    """Rows a rerun rewrites, given how many secrets were still under the old key."""
    # secrets per row, in rotation order: 6 cameras x 1, 2 settings x 1, rule 1 x 4, rule 3 x 1
    rows = [1] * 8 + [4, 1]
    done = TOTAL_SECRETS - secrets_left
    remaining_rows = 0
    for per_row in rows:
        if done >= per_row:
            done -= per_row
        else:
            remaining_rows += 1
    return remaining_rows


def test_killed_from_outside_while_paused(tmp_path, canary):

    from app.main import create_app
    from tests.conftest import make_settings

    url = f"sqlite:///{tmp_path / 'paused.db'}"
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    env = cli_env(tmp_path, url, new, [old])
    with paused_rotation(["rotate-key", "--batch-size", "2"], env, "after-commit:3"):
        pass  # killed there

    assert _under_each_key(url, seeded, old, new) == (6, TOTAL_SECRETS - 6)
    assert run_cli(["rotate-key", "--batch-size", "2"], env).returncode == 0
    assert_all_under(url, seeded, new)

    # The app, restarted with only the new key, serves the rotated secrets.
    app = create_app(make_settings(url, encryption_key=new))
    with signed_in(app) as client:
        response = client.get("/api/v1/settings")
    assert response.status_code == 200
    openai = seeded.plaintexts["system_settings:ai_api_key_openai"]
    assert response.json()["ai_api_key_openai"] == "****" + openai[-4:]
    assert_no_leak(openai, response)


def test_the_hook_is_inert_unless_set(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    old, new = new_key(), new_key()
    encrypted_database(url, canary, old)
    result = run_cli(["rotate-key", "--batch-size", "2"], cli_env(tmp_path, url, new, [old]))
    assert result.returncode == 0
    assert "paused" not in result.stdout


def test_an_unknown_hook_is_an_error(tmp_path: Path, canary):
    url = f"sqlite:///{tmp_path / 'hook.db'}"
    old, new = new_key(), new_key()
    encrypted_database(url, canary, old)
    env = {**cli_env(tmp_path, url, new, [old]), "APP_TEST_ROTATION_HOOK": "explode@now"}
    result = run_cli(["rotate-key"], env)
    assert result.returncode == 1
    assert "APP_TEST_ROTATION_HOOK is not understood" in result.stderr
