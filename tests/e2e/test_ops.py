"""Operations: make install with PREFIX/DESTDIR, the man page, the systemd unit."""
import subprocess
from pathlib import Path

import pytest

from sirt_harness import ROOT, SIRT


@pytest.fixture(scope="module")
def installed(tmp_path_factory, backend):
    if backend != "sqlite":
        pytest.skip("installation does not depend on the database")
    dest = tmp_path_factory.mktemp("destdir")
    p = subprocess.run(["make", "-s", "-C", str(ROOT), "install", f"DESTDIR={dest}",
                        "PREFIX=/opt/sirt"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return dest


def test_install_honours_prefix_and_destdir(installed):
    binary = installed / "opt/sirt/bin/sirt"
    assert binary.exists() and binary.stat().st_mode & 0o111
    assert (installed / "opt/sirt/share/man/man1/sirt.1").exists()
    assert (installed / "opt/sirt/share/doc/sirt/sirt.conf.example").exists()
    assert (installed / "lib/systemd/system/sirt.service").exists()
    out = subprocess.run([str(binary), "version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("sirt ")


def test_man_page_covers_every_command_and_option(installed):
    man = (installed / "opt/sirt/share/man/man1/sirt.1").read_text()
    top = subprocess.run([SIRT, "--help"], capture_output=True, text=True).stdout
    commands = [line.split()[0] for line in top.splitlines() if line.startswith("  ")
                and line.split() and line.split()[0].isalpha()]
    assert "serve" in commands and "init" in commands
    for cmd in commands:
        assert f'.SS "{cmd}"' in man, cmd
        helptext = subprocess.run([SIRT, cmd, "--help"], capture_output=True, text=True).stdout
        for line in helptext.splitlines():
            if line.strip().startswith("--"):
                flag = line.split()[0].replace("-", "\\-")
                assert flag in man, (cmd, flag)


def test_man_page_covers_subcommands(installed):
    man = (installed / "opt/sirt/share/man/man1/sirt.1").read_text()
    for cmd, verb in (("token", "create"), ("incident", "import"), ("user", "add"),
                      ("audit", "verify")):
        helptext = subprocess.run([SIRT, cmd, verb, "--help"], capture_output=True,
                                  text=True).stdout
        for line in helptext.splitlines():
            if line.strip().startswith("--"):
                assert line.split()[0].replace("-", "\\-") in man, (cmd, verb, line)


def test_systemd_unit_is_sandboxed(installed):
    unit = (installed / "lib/systemd/system/sirt.service").read_text()
    for directive in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                      "PrivateTmp=yes", "User=sirt", "StateDirectory=sirt"):
        assert directive in unit
    assert "ReadWritePaths" not in unit  # the state directory is the only writable place


def test_example_config_is_accepted(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("config parsing does not depend on the database")
    conf = (ROOT / "dist/sirt.conf.example").read_text()
    conf = conf.replace("/var/lib/sirt", str(tmp_path))
    path = tmp_path / "sirt.conf"
    path.write_text(conf)
    p = subprocess.run([SIRT, "migrate", "--config", str(path)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert (Path(tmp_path) / "sirt.db").exists()
