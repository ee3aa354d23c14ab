"""The command line: version, check-config on good and bad files, and serve
refusing to start on a bad configuration."""

import subprocess

from conftest import HOTLINE, SOURCE_DIR


def run(*args, cwd=None):
    return subprocess.run([HOTLINE, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_version():
    r = run("version")
    assert r.returncode == 0
    assert r.stdout.startswith("hotline ")


def test_no_subcommand_is_a_usage_error():
    r = run()
    assert r.returncode != 0
    assert "subcommand is required" in r.stderr


def test_example_configuration_is_valid():
    example = SOURCE_DIR / "config" / "hotline.example.yaml"
    r = run("check-config", str(example))
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_broken_yaml_names_file_line_and_column(tmp_path):
    cfg = tmp_path / "broken.yaml"
    cfg.write_text("http:\n  listen: [127.0.0.1:8080\nlog: {}\n")
    r = run("check-config", str(cfg))
    assert r.returncode == 2
    assert f"invalid YAML" in r.stderr
    assert f"{cfg}:" in r.stderr


def test_every_error_is_reported_with_its_position(tmp_path):
    cfg = tmp_path / "hotline.yaml"
    cfg.write_text(
        "http:\n"
        "  listen: 127.0.0.1:8080\n"
        "  max_conections: 10\n"
        "log:\n"
        "  level: loud\n"
        "storage:\n"
        "  url: sqlite:x.db\n"
        "  event_batch_max: -5\n"
    )
    r = run("check-config", str(cfg))
    assert r.returncode == 2
    err = r.stderr
    assert (f"http.max_conections: unknown key 'max_conections' (did you mean 'max_connections'?) "
            f"at {cfg}:3:3") in err
    assert f"log.level: unknown log level 'loud'" in err
    assert f"at {cfg}:5:10" in err
    assert f"storage.event_batch_max: -5 is out of range" in err
    assert "3 errors" in err


def test_missing_file(tmp_path):
    r = run("check-config", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2
    assert "cannot read the configuration file" in r.stderr


def test_serve_refuses_a_bad_configuration(tmp_path):
    cfg = tmp_path / "hotline.yaml"
    cfg.write_text("storage:\n  url: mongodb://localhost\n")
    r = run("serve", "--config", str(cfg), cwd=tmp_path)
    assert r.returncode == 2
    assert "storage.url: 'mongodb://localhost' is not a storage URL" in r.stderr
    assert "not starting" in r.stderr
    assert not (tmp_path / "var").exists(), "nothing may be created for a refused configuration"
