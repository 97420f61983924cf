"""Versions the synthesized stacks require of Terraform and its providers (plain data).

Read by the stacks (``required_version``, ``required_providers``) and by the
operator commands that run Terraform; ``cdktf.json`` repeats the auth0 pin for
the CLI, and a test keeps the two equal.
"""

from __future__ import annotations

# S3-native state locking (the S3 backend's use_lockfile) arrived in Terraform 1.10.
MINIMUM_TERRAFORM = (1, 10)
MINIMUM_TERRAFORM_TEXT = ".".join(map(str, MINIMUM_TERRAFORM))
TERRAFORM_REQUIRED_VERSION = f">= {MINIMUM_TERRAFORM_TEXT}"

# auth0/auth0: pii_config and start_from exist from v1.29.0, and the EventBridge
# region allow-list gained eu-central-2 in v1.38.0 (modules/auth0_catalog.py).
AUTH0_PROVIDER_SOURCE = "auth0/auth0"
AUTH0_PROVIDER_VERSION = "~> 1.38"
