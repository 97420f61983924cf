"""Constructs and configuration of the Auth0 log archive (a CDKTF app)."""
