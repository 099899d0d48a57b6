-- scifind schema, version 5: the dedupe keys of papers (title_key,
-- first_author) are the merge's (core/paper.h paper_dedupe_title_key and
-- paper_family_key), written by the batcher since this version. Before
-- it the store kept a title key with spaces and a family name of its own,
-- so a row and the search's answer could disagree on what one paper is.
-- The two functions below compute the same keys in SQL (test/store
-- test_dedupe_sql.c holds them to the C ones) and rekey the older rows.
-- Rows that the new keys would join stay apart: nothing is merged here.

-- ASCII letters to lower case, Latin-1 letters to their base letters
-- (U+00DF to "ss"), the multiplication and division signs dropped; other
-- characters as they are.
CREATE FUNCTION scifind_fold(s text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT replace(translate(s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ×÷', 'abcdefghijklmnopqrstuvwxyzaaaaaaaceeeeiiiidnoooooouuuuytaaaaaaaceeeeiiiidnoooooouuuuyty'), 'ß', 'ss')
$$;

-- The title with ASCII punctuation, controls and spaces, U+00A0 and
-- U+2000..U+203F dropped, ASCII lower case; NULL when nothing is left.
CREATE FUNCTION scifind_dedupe_title_key(title text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT nullif(translate(regexp_replace(title,
                      '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u00a0\u2000-\u203f]', '', 'g'),
                  'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '')
$$;

-- The folded family name of an author: the last word of the part before a
-- comma (of the whole name without one), suffixes (jr, sr, ii, iii, iv)
-- skipped when a word comes before them; NULL when none.
CREATE FUNCTION scifind_family_key(name text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    head text := split_part(name, ',', 1);
    w text;
    k text;
BEGIN
    LOOP
        head := rtrim(head, E' \t.');
        w := substring(head FROM E'[^ \t]*$');
        IF w = '' THEN
            RETURN NULL;
        END IF;
        head := left(head, length(head) - length(w));
        k := scifind_fold(regexp_replace(w, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]', '', 'g'));
        IF NOT (head ~ '[A-Za-z0-9]|[^\x01-\x7f]' AND octet_length(w) < 4
                AND k IN ('jr', 'sr', 'ii', 'iii', 'iv')) THEN
            RETURN nullif(k, '');
        END IF;
    END LOOP;
END
$$;

UPDATE papers SET title_key = coalesce(scifind_dedupe_title_key(title), ''),
                  first_author = coalesce(scifind_family_key(authors[1]), '');
