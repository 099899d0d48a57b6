-- scifind schema, version 6: the kind of work (core/paper.h paper_type_t,
-- by paper_type_name(): "article", "preprint", "proceedings", ...; NULL
-- when no provider said) is stored, so a paper written by the batcher
-- keeps it. The two functions are those of version 1 with the type added;
-- the upsert merges it as paper_type_merge() does: a known type beats
-- NULL, a specific one beats "other", a published one beats "preprint",
-- else the stored one stays. Rows written before have NULL until a
-- provider's answer for them is written again.

ALTER TABLE papers ADD COLUMN type text;

CREATE OR REPLACE FUNCTION scifind_paper_json(p papers) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', p.id::text, 'title', p.title, 'abstract', p.abstract, 'authors', to_jsonb(p.authors),
        'year', p.year, 'published_at', p.published_at, 'venue', p.venue, 'type', p.type, 'doi', p.doi,
        'arxiv_id', p.arxiv_id, 'arxiv_version', p.arxiv_version,
        'categories', to_jsonb(p.categories), 'citation_count', p.citations, 'url', p.url,
        'pdf_url', p.pdf_url, 'is_open_access', p.open_access, 'sources', to_jsonb(p.sources),
        'source_ids', p.source_ids,
        'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'updated_at', to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

CREATE OR REPLACE FUNCTION scifind_upsert_papers(batch jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    pid bigint;
    n integer := 0;
    tries integer;
BEGIN
    FOR r IN
        SELECT * FROM jsonb_to_recordset(batch) AS x(
            doi text, arxiv_id text, arxiv_version text, source_ids jsonb, sources text[],
            title text, title_key text, abstract text, authors text[], first_author text,
            year integer, published_at text, venue text, categories text[], citations bigint,
            url text, pdf_url text, open_access boolean, type text)
        ORDER BY coalesce(x.doi, ''), coalesce(x.arxiv_id, ''), x.title_key
    LOOP
        tries := 0;
        LOOP
            tries := tries + 1;
            pid := NULL;
            IF r.doi IS NOT NULL THEN
                SELECT id INTO pid FROM papers WHERE doi = r.doi FOR UPDATE;
            END IF;
            IF pid IS NULL AND r.arxiv_id IS NOT NULL THEN
                SELECT id INTO pid FROM papers WHERE arxiv_id = r.arxiv_id FOR UPDATE;
            END IF;
            IF pid IS NULL AND coalesce(r.title_key, '') <> '' AND coalesce(r.first_author, '') <> '' THEN
                SELECT id INTO pid FROM papers
                 WHERE title_key = r.title_key AND first_author = r.first_author
                   AND (year IS NULL OR r.year IS NULL OR abs(year - r.year) <= 1)
                   AND (doi IS NULL OR r.doi IS NULL OR doi = r.doi)
                   AND (arxiv_id IS NULL OR r.arxiv_id IS NULL OR arxiv_id = r.arxiv_id)
                 ORDER BY id LIMIT 1 FOR UPDATE;
            END IF;
            IF pid IS NOT NULL THEN
                UPDATE papers p SET
                    doi = CASE WHEN p.doi IS NULL AND r.doi IS NOT NULL
                                    AND NOT EXISTS (SELECT 1 FROM papers q WHERE q.doi = r.doi)
                               THEN r.doi ELSE p.doi END,
                    arxiv_id = CASE WHEN p.arxiv_id IS NULL AND r.arxiv_id IS NOT NULL
                                         AND NOT EXISTS (SELECT 1 FROM papers q WHERE q.arxiv_id = r.arxiv_id)
                                    THEN r.arxiv_id ELSE p.arxiv_id END,
                    arxiv_version = coalesce(p.arxiv_version, r.arxiv_version),
                    source_ids = coalesce(r.source_ids, '{}'::jsonb) || p.source_ids,
                    sources = ARRAY(SELECT DISTINCT unnest(p.sources || coalesce(r.sources, '{}')) ORDER BY 1),
                    title = CASE WHEN p.title = '' THEN coalesce(r.title, '') ELSE p.title END,
                    title_key = CASE WHEN p.title_key = '' THEN coalesce(r.title_key, '') ELSE p.title_key END,
                    abstract = CASE WHEN length(coalesce(r.abstract, '')) > length(coalesce(p.abstract, ''))
                                    THEN r.abstract ELSE p.abstract END,
                    authors = CASE WHEN cardinality(coalesce(r.authors, '{}')) > cardinality(p.authors)
                                   THEN r.authors ELSE p.authors END,
                    first_author = CASE WHEN p.first_author = '' THEN coalesce(r.first_author, '') ELSE p.first_author END,
                    published_at = CASE WHEN r.published_at IS NOT NULL AND (p.published_at IS NULL
                                            OR length(r.published_at) > length(p.published_at)
                                            OR (length(r.published_at) = length(p.published_at)
                                                AND r.published_at < p.published_at))
                                        THEN r.published_at ELSE p.published_at END,
                    year = CASE WHEN r.published_at IS NOT NULL AND (p.published_at IS NULL
                                    OR length(r.published_at) > length(p.published_at)
                                    OR (length(r.published_at) = length(p.published_at)
                                        AND r.published_at < p.published_at))
                                THEN coalesce(r.year, p.year)
                                ELSE coalesce(p.year, r.year) END,
                    venue = coalesce(p.venue, r.venue),
                    type = CASE WHEN r.type IS NULL OR r.type = p.type THEN p.type
                                WHEN p.type IS NULL OR p.type = 'other' THEN r.type
                                WHEN p.type = 'preprint' AND r.type <> 'other' THEN r.type
                                ELSE p.type END,
                    categories = p.categories || ARRAY(
                        SELECT c FROM unnest(coalesce(r.categories, '{}')) AS c
                         WHERE lower(c) <> ALL (SELECT lower(e) FROM unnest(p.categories) AS e)),
                    citations = greatest(p.citations, r.citations),
                    url = coalesce(p.url, r.url),
                    pdf_url = coalesce(p.pdf_url, r.pdf_url),
                    open_access = p.open_access OR coalesce(r.open_access, false) OR r.pdf_url IS NOT NULL,
                    deleted_at = NULL,
                    updated_at = now()
                WHERE p.id = pid;
                n := n + 1;
                EXIT;
            END IF;
            -- No conflict target: any unique key (DOI, arXiv id) that another
            -- worker took meanwhile makes this a no-op, and the loop merges
            -- into that row instead (no subtransaction per row).
            INSERT INTO papers (doi, arxiv_id, arxiv_version, source_ids, sources, title, title_key,
                                abstract, authors, first_author, year, published_at, venue,
                                categories, citations, url, pdf_url, open_access, type)
            VALUES (r.doi, r.arxiv_id, r.arxiv_version, coalesce(r.source_ids, '{}'::jsonb),
                    coalesce(r.sources, '{}'), coalesce(r.title, ''), coalesce(r.title_key, ''),
                    r.abstract, coalesce(r.authors, '{}'), coalesce(r.first_author, ''), r.year,
                    r.published_at, r.venue, coalesce(r.categories, '{}'), r.citations, r.url,
                    r.pdf_url, coalesce(r.open_access, false) OR r.pdf_url IS NOT NULL, r.type)
            ON CONFLICT DO NOTHING
            RETURNING id INTO pid;
            IF pid IS NOT NULL THEN
                n := n + 1;
                EXIT;
            END IF;
            IF tries >= 3 THEN
                RAISE EXCEPTION 'paper % / % keeps conflicting', r.doi, r.arxiv_id;
            END IF;
        END LOOP;
    END LOOP;
    RETURN n;
END
$$;
