"""Console accounts, permissions and the audit log, on a real SQLite database; the CLI through main()."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

from bot import audit
from bot.config import Settings
from bot.crypto import Sealer
from bot.errors import AccountError, AuditError, ConfigError
from bot.storage.db import engine_for, new_session
from bot.storage.models import ConsoleSession, Counselor
from console import accounts
from console.accounts import SIGN_IN_FAILED, AuthResult
from console.permissions import RULES_FILE, Permission, allowed, load_rules
from hotline.cli import main

T0 = datetime(2025, 3, 1, 9, 0, 0)
STRONG = "correct horse battery staple"


@pytest.fixture()
def url(database_url: str) -> str:
    return database_url


@pytest.fixture()
def sealer() -> Sealer:
    return Sealer(b"0123456789abcdef0123456789abcdef")


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment.replace(tzinfo=timezone.utc))


def wrong_code(secret: str, moment: datetime) -> str:
    """A code valid at no step of the window around ``moment``."""
    valid = {code_at(secret, moment + timedelta(seconds=30 * step)) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def enrolled(url: str, sealer: Sealer, username: str = "maria") -> tuple:
    """An account that has changed its password and enrolled a second factor at T0."""
    account = accounts.create_counselor(url, sealer, username, "Maria", "counselor", ["en"])
    accounts.change_password(url, account.counselor.id, account.one_time_password, STRONG)
    secret = accounts.start_totp_enrolment(url, sealer, account.counselor.id).secret
    assert accounts.confirm_totp(url, sealer, account.counselor.id, code_at(secret, T0), now=T0)
    return account.counselor, secret


def add_session(url: str, counselor_id: int, token: str) -> None:
    with new_session(url) as session:
        session.add(ConsoleSession(token_hash=token, counselor_id=counselor_id, csrf_token="x"))
        session.commit()


def sessions_of(url: str, counselor_id: int) -> int:
    with new_session(url) as session:
        return session.query(ConsoleSession).filter_by(counselor_id=counselor_id).count()


# --- accounts ----------------------------------------------------------------------------------


def test_a_new_counselor_signs_in_with_the_one_time_password_and_must_change_it(url: str, sealer: Sealer) -> None:
    account = accounts.create_counselor(url, sealer, "Maria.G", "Maria G", "counselor", "en, ES")
    counselor, one_time = account
    assert (counselor.username, counselor.languages) == ("maria.g", ("en", "es"))
    assert counselor.must_change_password and not counselor.totp_enrolled
    assert len(one_time) >= 16 and one_time not in repr(account)

    result = accounts.authenticate_password(url, "maria.g", one_time, now=T0)
    assert result.ok and result.counselor.must_change_password

    with pytest.raises(AccountError, match="at least 12"):
        accounts.change_password(url, counselor.id, one_time, "short")
    with pytest.raises(AccountError, match="differ"):
        accounts.change_password(url, counselor.id, one_time, one_time)
    with pytest.raises(AccountError, match="current password is wrong"):
        accounts.change_password(url, counselor.id, "not it", STRONG)
    changed = accounts.change_password(url, counselor.id, one_time, STRONG)
    assert not changed.must_change_password

    assert not accounts.authenticate_password(url, "maria.g", one_time, now=T0).ok
    assert accounts.authenticate_password(url, "maria.g", STRONG, now=T0).counselor == changed


def test_no_password_hash_or_secret_leaves_the_module(url: str, sealer: Sealer) -> None:
    counselor, secret = enrolled(url, sealer)
    fields = set(vars(accounts.get_counselor(url, counselor.id)))
    assert not fields & {"password_hash", "totp_secret_sealed"}
    with engine_for(url).connect() as connection:
        stored = connection.execute(sa.text("SELECT password_hash, totp_secret_sealed FROM counselors")).one()
    assert stored.password_hash.startswith("$argon2id$") and secret not in stored.totp_secret_sealed


@pytest.mark.parametrize(
    "username, role, languages, complaint",
    [("ab", "counselor", ["en"], "username"), ("has space", "counselor", ["en"], "username"),
     ("maria", "boss", ["en"], "role 'boss'"), ("maria", "counselor", ["eng"], "languages"),
     ("maria", "counselor", [], "languages")],
)
def test_bad_account_fields_are_refused_by_name(url: str, sealer: Sealer, username, role, languages, complaint) -> None:
    with pytest.raises(AccountError, match=complaint):
        accounts.create_counselor(url, sealer, username, "Maria", role, languages)


def test_a_taken_username_is_refused(url: str, sealer: Sealer) -> None:
    accounts.create_counselor(url, sealer, "maria", "Maria", "counselor", ["en"])
    with pytest.raises(AccountError, match="'maria' already exists"):
        accounts.create_counselor(url, sealer, "Maria", "Another Maria", "supervisor", ["es"])
    assert [c.display_name for c in accounts.list_counselors(url)] == ["Maria"]


def test_wrong_user_wrong_password_and_disabled_account_fail_alike(url: str, sealer: Sealer) -> None:
    accounts.create_counselor(url, sealer, "admin2", "Admin", "admin", ["en"])  # so the last admin stays
    counselor, password = accounts.create_counselor(url, sealer, "maria", "Maria", "counselor", ["en"])
    unknown = accounts.authenticate_password(url, "nobody", password, now=T0)
    wrong = accounts.authenticate_password(url, "maria", "wrong password", now=T0)
    assert unknown == wrong == AuthResult(ok=False, counselor=None, message=SIGN_IN_FAILED)

    accounts.disable_counselor(url, "maria")
    assert accounts.authenticate_password(url, "maria", password, now=T0) == unknown


def test_wrong_passwords_never_lock_the_account_so_nobody_can_keep_its_owner_out(url: str, sealer: Sealer) -> None:
    counselor, password = accounts.create_counselor(url, sealer, "maria", "Maria", "counselor", ["en"])
    for _ in range(50):  # someone else guessing (the throttle in front slows them: test_console)
        assert not accounts.authenticate_password(url, "maria", "guess", now=T0).ok
    assert accounts.get_counselor(url, counselor.id).locked_until is None
    assert accounts.authenticate_password(url, "maria", password, now=T0).ok


def test_a_successful_sign_in_resets_the_failure_count(url: str, sealer: Sealer) -> None:
    _, password = accounts.create_counselor(url, sealer, "maria", "Maria", "counselor", ["en"])
    for _ in range(4):
        accounts.authenticate_password(url, "maria", "guess", now=T0)
    assert accounts.authenticate_password(url, "maria", password, now=T0).ok
    for _ in range(4):
        accounts.authenticate_password(url, "maria", "guess", now=T0)
    assert accounts.authenticate_password(url, "maria", password, now=T0).ok


def test_the_first_admin_is_created_only_once(url: str, sealer: Sealer) -> None:
    password = accounts.ensure_first_admin(url, sealer, languages=["en", "es"])
    admin = accounts.authenticate_password(url, "admin", password, now=T0).counselor
    assert (admin.role, admin.languages, admin.must_change_password) == ("admin", ("en", "es"), True)
    assert accounts.ensure_first_admin(url, sealer, languages=["en"]) is None


def test_the_last_account_manager_cannot_be_disabled(url: str, sealer: Sealer) -> None:
    accounts.create_counselor(url, sealer, "boss", "Boss", "admin", ["en"])
    with pytest.raises(AccountError, match="last active account that can manage accounts"):
        accounts.disable_counselor(url, "boss")


# --- second factor -----------------------------------------------------------------------------


def test_totp_enrolment_confirm_and_verify(url: str, sealer: Sealer) -> None:
    counselor, one_time = accounts.create_counselor(url, sealer, "maria", "Maria", "counselor", ["en"])
    enrolment = accounts.start_totp_enrolment(url, sealer, counselor.id)
    assert enrolment.provisioning_uri.startswith("otpauth://totp/Hotline%20console:maria?secret=")
    assert "issuer=Hotline%20console" in enrolment.provisioning_uri
    assert enrolment.qr_svg.startswith("<svg") and enrolment.secret not in repr(enrolment)
    assert not accounts.get_counselor(url, counselor.id).totp_enrolled

    code = code_at(enrolment.secret, T0)
    assert not accounts.verify_totp(url, sealer, counselor.id, code, now=T0)  # not confirmed yet
    assert not accounts.confirm_totp(url, sealer, counselor.id, wrong_code(enrolment.secret, T0), now=T0)
    assert accounts.confirm_totp(url, sealer, counselor.id, code, now=T0)
    assert accounts.get_counselor(url, counselor.id).totp_enrolled

    later = T0 + timedelta(seconds=60)
    assert accounts.verify_totp(url, sealer, counselor.id, code_at(enrolment.secret, later), now=later)
    with pytest.raises(AccountError, match="already enrolled"):
        accounts.start_totp_enrolment(url, sealer, counselor.id)


def test_a_code_cannot_be_replayed_nor_an_older_one_used(url: str, sealer: Sealer) -> None:
    counselor, secret = enrolled(url, sealer)
    now = T0 + timedelta(minutes=5)
    code = code_at(secret, now)
    assert accounts.verify_totp(url, sealer, counselor.id, code, now=now)
    assert not accounts.verify_totp(url, sealer, counselor.id, code, now=now)  # replay
    assert not accounts.verify_totp(url, sealer, counselor.id, code, now=now + timedelta(seconds=30))  # still in window
    earlier = code_at(secret, now - timedelta(seconds=30))
    if earlier != code:
        assert not accounts.verify_totp(url, sealer, counselor.id, earlier, now=now)
    following = now + timedelta(seconds=30)
    assert accounts.verify_totp(url, sealer, counselor.id, code_at(secret, following), now=following)


def test_wrong_codes_count_toward_the_password_lockout(url: str, sealer: Sealer) -> None:
    counselor, secret = enrolled(url, sealer)
    now = T0 + timedelta(minutes=5)
    right, wrong = code_at(secret, now), wrong_code(secret, now)
    for _ in range(5):
        assert accounts.authenticate_password(url, "maria", STRONG, now=now).ok  # the password alone...
        assert not accounts.verify_totp(url, sealer, counselor.id, wrong, now=now)  # ...buys no extra guesses
        if accounts.get_counselor(url, counselor.id).locked_until:
            break
    assert accounts.get_counselor(url, counselor.id).locked_until == now + timedelta(minutes=15)
    assert not accounts.verify_totp(url, sealer, counselor.id, right, now=now)
    assert not accounts.authenticate_password(url, "maria", STRONG, now=now).ok


def test_reset_2fa_clears_enrolment_and_signs_out_that_counselor_only(url: str, sealer: Sealer) -> None:
    counselor, _ = enrolled(url, sealer)
    colleague, _ = enrolled(url, sealer, "jose")
    add_session(url, counselor.id, "a" * 64)
    add_session(url, counselor.id, "b" * 64)
    add_session(url, colleague.id, "c" * 64)

    reset = accounts.reset_second_factor(url, "maria")
    assert not reset.totp_enrolled
    assert (sessions_of(url, counselor.id), sessions_of(url, colleague.id)) == (0, 1)
    with new_session(url) as session:
        assert session.get(Counselor, counselor.id).totp_secret_sealed is None
    again = accounts.start_totp_enrolment(url, sealer, counselor.id)  # enrols again
    assert accounts.confirm_totp(url, sealer, counselor.id, code_at(again.secret, T0), now=T0)


# --- permissions -------------------------------------------------------------------------------


def test_every_permission_has_a_rule() -> None:
    rules = load_rules()
    assert set(rules.grants) == set(Permission)
    assert rules.roles == {"counselor", "supervisor", "admin"}


def test_a_counselor_acts_only_on_conversations_assigned_to_them() -> None:
    rules = load_rules()
    assert allowed(rules, Permission.REPLY, "counselor", assigned_to_me=True)
    assert not allowed(rules, Permission.REPLY, "counselor", assigned_to_me=False)
    assert not allowed(rules, Permission.REPLY, "counselor")  # unknown assignment is not "mine"
    assert allowed(rules, Permission.CLAIM, "counselor")
    assert not allowed(rules, Permission.VIEW_ANY_CONVERSATION, "counselor")
    assert not allowed(rules, Permission.REASSIGN, "counselor")
    assert not allowed(rules, Permission.MANAGE_ACCOUNTS, "counselor")


def test_supervisors_supervise_and_admins_administer_but_neither_is_the_other() -> None:
    rules = load_rules()
    for permission in (Permission.REASSIGN, Permission.VIEW_SUPERVISION, Permission.VIEW_ANY_CONVERSATION):
        assert allowed(rules, permission, "supervisor") and not allowed(rules, permission, "admin")
    for permission in (Permission.MANAGE_ACCOUNTS, Permission.MANAGE_SETTINGS, Permission.VERIFY_AUDIT):
        assert allowed(rules, permission, "admin") and not allowed(rules, permission, "supervisor")
    assert not any(allowed(rules, permission, None, assigned_to_me=True) for permission in Permission)
    assert not any(allowed(rules, permission, "intern", assigned_to_me=True) for permission in Permission)


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda text: text.replace("  verify_audit:", "  verify_audits:"), "verify_audits"),
        (lambda text: text.replace("[{role: admin}]", "[{role: superuser}]", 1), "superuser"),
        (lambda text: text.replace("{assigned_to_me: true}", "{assigned: true}", 1), "assigned"),
        (lambda text: text.replace("  verify_audit:\n    - [{role: admin}]\n", ""), "verify_audit"),
        (lambda text: text.replace("{assigned_to_me: true}", "{assigned_to_me: yes please}", 1), "assigned_to_me"),
        (lambda text: text.replace("  view_queue:\n    - [{role: [counselor, supervisor]}]", "  view_queue:\n    - []"),
         "view_queue"),
    ],
)
def test_a_broken_rules_file_is_rejected_naming_the_problem(tmp_path: Path, change, named: str) -> None:
    broken = change(RULES_FILE.read_text(encoding="utf-8"))
    assert broken != RULES_FILE.read_text(encoding="utf-8")
    path = tmp_path / "permissions.yml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError, match=named):
        load_rules(path)


# --- audit log ---------------------------------------------------------------------------------


def write_entries(url: str, count: int) -> list:
    return [audit.record(url, "cli", "counselor.add", f"counselor:{n}", {"role": "counselor", "n": n})
            for n in range(count)]


def test_the_chain_verifies(url: str) -> None:
    assert audit.verify(url) == audit.VerifyResult(True, 0, None, "", None)
    receipts = write_entries(url, 3)
    result = audit.verify(url)
    assert (result.ok, result.entries, result.head) == (True, 3, receipts[-1].entry_hash)


def test_a_changed_detail_is_found_with_its_id(url: str) -> None:
    receipts = write_entries(url, 4)
    with engine_for(url).begin() as connection:
        connection.execute(sa.text("UPDATE audit_log SET detail = :d WHERE id = :id"),
                           {"d": '{"n":1,"role":"admin"}', "id": receipts[1].id})
    result = audit.verify(url)
    assert (result.ok, result.first_bad_id) == (False, receipts[1].id)
    assert "changed" in result.problem


def test_a_deleted_middle_entry_is_found(url: str) -> None:
    receipts = write_entries(url, 4)
    with engine_for(url).begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": receipts[1].id})
    result = audit.verify(url)
    assert (result.ok, result.first_bad_id) == (False, receipts[2].id)
    assert "does not follow" in result.problem


def test_a_deleted_last_entry_is_found_only_against_a_kept_head(url: str) -> None:
    receipts = write_entries(url, 3)
    with engine_for(url).begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": receipts[-1].id})
    assert audit.verify(url).ok  # the chain alone cannot tell
    result = audit.verify(url, expected_head=receipts[-1].entry_hash)
    assert not result.ok and "expected head" in result.problem


def test_two_writers_at_once_keep_one_chain(url: str) -> None:
    audit.record(url, "cli", "start", "log", {})  # migrate first, as a running process would have

    def writer(name: str) -> None:
        for n in range(50):
            audit.record(url, name, "test.append", f"entry:{n}", {"n": n})

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = audit.verify(url)
    assert (result.ok, result.entries) == (True, 101)


@pytest.mark.parametrize(
    "detail", [{"body": "help me"}, {"caller": "+1 555 010 0000"}, {"to": "whatsapp:+15550100000"}, {"note": "x" * 201}]
)
def test_message_text_and_phone_numbers_are_refused(url: str, detail: dict) -> None:
    with pytest.raises(AuditError):
        audit.record(url, "maria", "escalation.note", "escalation:1", detail)
    assert audit.verify(url).entries == 0


# --- command line ------------------------------------------------------------------------------


def test_admin_init_prints_a_password_only_the_first_time(settings: Settings, url: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["admin", "init"], settings) == 0
    first = capsys.readouterr().out
    assert first.startswith("First sign-in: user admin, one-time password ")
    password = first.split("one-time password ")[1].split(" ")[0]
    assert accounts.authenticate_password(url, "admin", password).ok

    assert main(["admin", "init"], settings) == 0
    second = capsys.readouterr().out
    assert "nothing to do" in second and password not in second


def test_counselor_commands_change_accounts_and_are_audited(settings: Settings, url: str, capsys: pytest.CaptureFixture) -> None:
    main(["admin", "init"], settings)
    assert main(["counselor", "add", "maria", "--name", "Maria G", "--role", "supervisor", "--languages", "es,en"], settings) == 0
    password = capsys.readouterr().out.split("one-time password: ")[1].split()[0]
    maria = accounts.authenticate_password(url, "maria", password).counselor
    assert (maria.role, maria.languages) == ("supervisor", ("es", "en"))

    assert main(["counselor", "add", "maria", "--name", "Again", "--role", "counselor"], settings) == 1
    assert "already exists" in capsys.readouterr().err

    add_session(url, maria.id, "d" * 64)
    assert main(["counselor", "reset-2fa", "maria"], settings) == 0
    assert sessions_of(url, maria.id) == 0
    assert main(["counselor", "disable", "maria"], settings) == 0
    assert not accounts.authenticate_password(url, "maria", password).ok

    capsys.readouterr()
    assert main(["counselor", "list"], settings) == 0
    listing = capsys.readouterr().out
    assert "maria" in listing and "disabled" in listing and password not in listing

    with engine_for(url).connect() as connection:
        rows = connection.execute(sa.text("SELECT actor, action, detail FROM audit_log ORDER BY id")).all()
    assert [(row.actor, row.action) for row in rows] == [
        ("cli", "counselor.add"), ("cli", "counselor.add"), ("cli", "counselor.reset_2fa"), ("cli", "counselor.disable")
    ]
    assert all(password not in row.detail for row in rows)


def test_audit_verify_exit_codes(settings: Settings, url: str, capsys: pytest.CaptureFixture) -> None:
    write_entries(url, 3)
    assert main(["audit", "verify"], settings) == 0
    assert "audit log intact: 3 entries" in capsys.readouterr().out

    with engine_for(url).begin() as connection:
        connection.execute(sa.text("UPDATE audit_log SET actor = 'someone' WHERE id = 2"))
    assert main(["audit", "verify"], settings) == 1
    assert "entry 2" in capsys.readouterr().err
