"""--config and --db fall back to $TIDINGS_CONFIG and $TIDINGS_DB, then to ./tidings.toml and
data/tidings.db; what the command line names wins over the environment."""

from __future__ import annotations

from tests.helpers import tidings, write_config


def test_the_command_line_wins_over_the_environment(tmp_path):
    config = write_config(tmp_path / "t.toml", [{"name": "x", "url": "http://127.0.0.1:9/news"}])
    env = {"TIDINGS_CONFIG": str(tmp_path / "elsewhere.toml"), "TIDINGS_DB": str(tmp_path)}  # both unusable
    result = tidings("status", "--json", "--config", str(config), "--db", str(tmp_path / "a.db"), env=env)
    assert result.code == 0, result.stderr
    assert '"x"' in result.stdout


def test_the_environment_names_the_files_when_the_command_line_does_not(tmp_path):
    result = tidings("status", env={"TIDINGS_CONFIG": str(tmp_path / "missing.toml")})
    assert result.code == 2
    assert result.stderr.strip() == (f"tidings: error: {tmp_path / 'missing.toml'}: configuration file not found "
                                     "(use --config PATH or TIDINGS_CONFIG)")


def test_an_empty_variable_means_the_default(tmp_path):
    write_config(tmp_path / "tidings.toml", [{"name": "here", "url": "http://127.0.0.1:9/news"}])
    result = tidings("status", "--json", cwd=tmp_path, env={"TIDINGS_CONFIG": "", "TIDINGS_DB": ""})
    assert result.code == 0, result.stderr
    assert '"here"' in result.stdout
    assert "no archive at data/tidings.db yet" in result.stderr
