-- scifind schema, version 4: an L3 row carries its answer's facts beside
-- the body (store/l3.c), as the other tiers do, so nothing parses the body
-- back. Rows written before have none: they are read as misses (and
-- replaced by the next answer). L3 keeps no partial answer, so "partial" is
-- always false here and has no column.

ALTER TABLE search_cache
    ADD COLUMN total   bigint,            -- the answer's "total"
    ADD COLUMN took_ms double precision;  -- the answer's "took_ms"
