"""Model plumbing shared by drafting, pairing rationales and chat: building the client,
naming a failure in a few words, prompt files, and structured output with its one repair
round. It imports no domain package (checked by `lint-imports`)."""
