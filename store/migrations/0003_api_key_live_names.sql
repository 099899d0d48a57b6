-- scifind schema, version 3: a live API key is known by its name
-- (`scifind keys revoke NAME`), so two live keys cannot share one. Revoked
-- keys keep their rows and may share names with each other and a live key.

CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;
