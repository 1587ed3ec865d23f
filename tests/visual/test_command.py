import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from quickscale.exceptions import VisualError
from quickscale.visual.snapshot import check_loopback


@pytest.mark.parametrize("subcommand", [["mcp"], ["snapshot", "/"]])
def test_the_visual_tools_refuse_to_run_with_debug_off(subcommand):
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG is off"):
        call_command("quickscale_visual", *subcommand)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:8000",
        "http://10.0.0.5:8000",
        "http://0.0.0.0:8000",
        "https://app.example.com/",
    ],
)
def test_only_loopback_servers_are_talked_to(url):
    with pytest.raises(VisualError, match="loopback"):
        check_loopback(url)
    with override_settings(DEBUG=True), pytest.raises(CommandError, match="loopback"):
        call_command("quickscale_visual", "mcp", "--url", url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000"]
)
def test_loopback_addresses_are_accepted(url):
    check_loopback(url)
