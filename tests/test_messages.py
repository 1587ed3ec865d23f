import io

from quickscale.messages import Console


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_streams_get_no_colour(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    out = io.StringIO()
    Console(out=out, err=out).success("done")
    assert out.getvalue() == "✓ done\n"


def test_terminals_get_colour_unless_no_color_is_set(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    out = Terminal()
    Console(out=out, err=out).warning("careful")
    assert "\033[33m" in out.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    Console(out=out, err=out).warning("careful")
    assert "\033[" not in out.getvalue()


def test_errors_go_to_stderr_with_their_hint():
    out, err = io.StringIO(), io.StringIO()
    Console(out=out, err=err).error("It broke.", hint="Fix it.")
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == ["✗ It broke.", "  → Fix it."]


def test_steps_announce_themselves_and_report_their_duration():
    out = io.StringIO()
    with Console(out=out, err=out).step("Migrating"):
        pass
    first, second = out.getvalue().splitlines()
    assert first == "• Migrating…"
    assert second.startswith("✓ Migrating (") and second.endswith("s)")
