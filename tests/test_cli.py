import os
import subprocess
import sys
from pathlib import Path

import pytest

import quickscale
from quickscale import cli
from quickscale.exceptions import ExitCode
from quickscale.generator import manifest as manifest_module
from quickscale.generator.templates import TEMPLATE_DIR


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_init_generates_the_project_and_tells_the_derived_package_name(tmp_path, capsys):
    code, out, _ = run(["init", "my-saas-app", "--directory", str(tmp_path / "site")], capsys)
    assert code == ExitCode.OK
    assert "my_saas_app" in out
    assert (tmp_path / "site" / "manage.py").is_file()
    assert (tmp_path / "site" / "my_saas_app" / "settings.py").is_file()
    assert (tmp_path / "site" / ".quickscale" / "manifest.json").is_file()
    env = (tmp_path / "site" / ".env").read_text()
    assert "DEBUG=True" in env
    assert oct((tmp_path / "site" / ".env").stat().st_mode & 0o777) == "0o600"


def test_init_defaults_to_a_folder_named_as_typed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(["init", "my-saas-app"], capsys)
    assert code == ExitCode.OK
    assert (tmp_path / "my-saas-app" / "my_saas_app" / "urls.py").is_file()
    assert listing(tmp_path)[0] == "my-saas-app"  # no staging folder left beside it


def test_each_project_gets_its_own_secret_key(tmp_path, capsys):
    run(["init", "one", "--directory", str(tmp_path / "one")], capsys)
    run(["init", "one", "--directory", str(tmp_path / "two")], capsys)
    keys = {
        line
        for folder in ("one", "two")
        for line in (tmp_path / folder / ".env").read_text().splitlines()
        if line.startswith("SECRET_KEY=")
    }
    assert len(keys) == 2
    assert all(len(key) > len("SECRET_KEY=") + 50 for key in keys)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("123", "cannot become a Python package name"),
        ("!!!", "cannot become a Python package name"),
        ("django", "existing Python module"),
        ("test", "existing Python module"),
        ("json", "existing Python module"),
    ],
)
def test_bad_names_fail_clearly_and_write_nothing(tmp_path, capsys, monkeypatch, name, expected):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["init", name], capsys)
    assert code == ExitCode.INVALID_NAME
    assert expected in err
    assert "→" in err  # a hint says what to do next
    assert listing(tmp_path) == []


def test_a_target_folder_that_is_not_empty_is_refused_and_left_as_it_was(tmp_path, capsys):
    target = tmp_path / "site"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    code, _, err = run(["init", "shop", "--directory", str(target)], capsys)
    assert code == ExitCode.TARGET_EXISTS
    assert "not empty" in err
    assert listing(tmp_path) == ["site", "site/notes.txt"]
    assert (target / "notes.txt").read_text() == "mine"


def test_a_target_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "site").write_text("mine")
    code, _, _ = run(["init", "shop", "--directory", str(tmp_path / "site")], capsys)
    assert code == ExitCode.TARGET_EXISTS
    assert (tmp_path / "site").read_text() == "mine"


def test_an_empty_target_folder_is_used(tmp_path, capsys):
    (tmp_path / "site").mkdir()
    code, _, _ = run(["init", "shop", "--directory", str(tmp_path / "site")], capsys)
    assert code == ExitCode.OK
    assert (tmp_path / "site" / "manage.py").is_file()


def _unwritable_parent(tmp_path: Path) -> Path:
    if os.geteuid() == 0:
        # root writes through permission bits; /proc refuses new folders to everyone.
        return Path("/proc")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked


def test_an_unwritable_target_fails_clearly_and_writes_nothing(tmp_path, capsys):
    parent = _unwritable_parent(tmp_path)
    before = sorted(os.listdir(parent)) if parent != Path("/proc") else None
    code, _, err = run(["init", "shop", "--directory", str(parent / "qs-site")], capsys)
    assert code == ExitCode.TARGET_NOT_WRITABLE
    assert "Cannot" in err
    assert not (parent / "qs-site").exists()
    if before is not None:
        assert sorted(os.listdir(parent)) == before


def test_missing_parent_folders_are_created_and_removed_again_on_failure(
    tmp_path, capsys, monkeypatch
):
    def explode(**kwargs):
        raise RuntimeError("template on fire")

    monkeypatch.setattr("quickscale.generator.init.manifest_build", explode)
    code, _, err = run(["init", "shop", "--directory", str(tmp_path / "a" / "b" / "shop")], capsys)
    assert code == ExitCode.ERROR
    assert "Unexpected error: RuntimeError: template on fire" in err
    assert "report it" in err
    assert listing(tmp_path) == []


def test_a_write_failure_half_way_is_reported_and_leaves_nothing_behind(
    tmp_path, capsys, monkeypatch
):
    calls = []
    original = manifest_module.manifest_write

    def write_then_fail(**kwargs):
        calls.append(original(**kwargs))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("quickscale.generator.init.manifest_write", write_then_fail)
    code, _, err = run(["init", "shop", "--directory", str(tmp_path / "shop")], capsys)
    assert calls, "generation got as far as writing the manifest"
    assert code == ExitCode.TARGET_NOT_WRITABLE
    assert "No space left on device" in err and "nothing was left behind" in err
    assert listing(tmp_path) == []


def test_an_existing_empty_folder_is_kept_and_filled(tmp_path, capsys):
    target = tmp_path / "shop"
    target.mkdir()
    target.chmod(0o750)
    inode = target.stat().st_ino
    code, _, _ = run(["init", "shop", "--directory", str(target)], capsys)
    assert code == ExitCode.OK
    assert target.stat().st_ino == inode
    assert oct(target.stat().st_mode & 0o777) == "0o750"
    assert (target / "manage.py").is_file() and (target / ".quickscale" / "manifest.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["shop"]


def test_accented_names_keep_their_letters(tmp_path, capsys):
    code, out, _ = run(["init", "Café Über", "--directory", str(tmp_path / "cafe")], capsys)
    assert code == ExitCode.OK
    assert "'cafe_uber'" in out
    assert (tmp_path / "cafe" / "cafe_uber" / "settings.py").is_file()


def test_next_steps_quote_paths_for_the_shell(tmp_path, capsys):
    folder = tmp_path / "My SaaS #1"
    code, out, _ = run(["init", "My SaaS #1", "--directory", str(folder)], capsys)
    assert code == ExitCode.OK
    assert f"cd '{folder}'" in out


def test_version_and_template_path(capsys):
    assert run(["version"], capsys)[1].strip() == quickscale.__version__
    assert Path(run(["template-path"], capsys)[1].strip()) == TEMPLATE_DIR
    assert (TEMPLATE_DIR / "manage.py-tpl").is_file()


@pytest.mark.parametrize("argv", [["--help"], ["init", "--help"], ["template-path", "--help"]])
def test_help_is_available_everywhere(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 0
    assert "usage: quickscale" in capsys.readouterr().out


def test_usage_errors_exit_2_with_a_hint(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["init"])
    assert caught.value.code == ExitCode.USAGE
    assert "--help" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2(capsys):
    assert cli.main([]) == ExitCode.USAGE
    assert "init" in capsys.readouterr().out


def test_the_console_script_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "quickscale", "init", "django"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == ExitCode.INVALID_NAME
    assert result.stderr.startswith("✗ ")
    assert "\033[" not in result.stderr
