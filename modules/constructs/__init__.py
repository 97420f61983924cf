"""The cdktf constructs, one per concern, and the provider bindings they use. They import the contract,
never the stack or the app, and read no files or environment variables."""
