"""modules/app.py: a synth leaves cdktf.out/stacks holding exactly the configured stacks."""

from __future__ import annotations

from pathlib import Path

from modules.app import synthesize
from modules.contract.naming import SynthOutput
from modules.contract.validation import parse_config
from tests.conftest import VARIANTS_TOML


def test_a_stack_no_longer_configured_is_retired_whole(tmp_path: Path) -> None:
    layout = SynthOutput(tmp_path)
    # A stack from an earlier configuration, with a local state file beside it.
    old = layout.stack_dir("auth0-log-archive-gone")
    old.mkdir(parents=True)
    (old / "cdk.tf.json").write_text("{}")
    (old / "terraform.auth0-log-archive-gone.tfstate").write_text('{"version": 4}')

    config = parse_config(VARIANTS_TOML, "variants.toml")
    reported = synthesize(config, str(tmp_path))

    assert sorted(p.name for p in layout.stacks.iterdir()) == sorted(s.name for s in reported)
    assert sorted(s.name for s in reported) == ["audit-custom", "auth0-log-archive-minimal"]
    retired = layout.retired("auth0-log-archive-gone")
    assert (retired / "terraform.auth0-log-archive-gone.tfstate").read_text() == '{"version": 4}'

    # Retired again later: the first one is kept, never overwritten.
    old.mkdir(parents=True)
    (old / "cdk.tf.json").write_text('{"second": true}')
    synthesize(config, str(tmp_path))
    assert (retired / "terraform.auth0-log-archive-gone.tfstate").exists()
    again = [p for p in retired.parent.iterdir() if p.name.startswith("auth0-log-archive-gone.")]
    assert len(again) == 1
    assert (again[0] / "cdk.tf.json").read_text() == '{"second": true}'
