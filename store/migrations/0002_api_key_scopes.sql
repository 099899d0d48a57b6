-- scifind schema, version 2: what each API key may do (http/auth.h scopes).
-- The workers load the live keys (revoked_at IS NULL) every auth.store_refresh.

ALTER TABLE api_keys
    ADD COLUMN scopes text[] NOT NULL DEFAULT '{read}'
        CHECK (scopes <> '{}' AND scopes <@ ARRAY['read', 'admin']);
