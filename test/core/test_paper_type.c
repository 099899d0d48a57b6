/* core/paper.c: each provider's work type words mapped, and the merge's
 * rule when sources disagree. */
#include <string.h>

#include "core/paper.h"
#include "test/test.h"

#define TYPE_OF(s) paper_type_parse(s, strlen(s))

TEST(provider_words_mapped)
{
    /* Crossref and OpenAlex */
    ASSERT_EQ(TYPE_OF("journal-article"), PAPER_TYPE_ARTICLE);
    ASSERT_EQ(TYPE_OF("proceedings-article"), PAPER_TYPE_PROCEEDINGS);
    ASSERT_EQ(TYPE_OF("posted-content"), PAPER_TYPE_PREPRINT);
    ASSERT_EQ(TYPE_OF("book-chapter"), PAPER_TYPE_BOOK_CHAPTER);
    ASSERT_EQ(TYPE_OF("dissertation"), PAPER_TYPE_THESIS);
    ASSERT_EQ(TYPE_OF("dataset"), PAPER_TYPE_DATASET);
    ASSERT_EQ(TYPE_OF("editorial"), PAPER_TYPE_OTHER);
    /* Semantic Scholar */
    ASSERT_EQ(TYPE_OF("JournalArticle"), PAPER_TYPE_ARTICLE);
    ASSERT_EQ(TYPE_OF("Conference"), PAPER_TYPE_PROCEEDINGS);
    ASSERT_EQ(TYPE_OF("BookSection"), PAPER_TYPE_BOOK_CHAPTER);
    ASSERT_EQ(TYPE_OF("Review"), PAPER_TYPE_REVIEW);
    /* its own names read back (the store) */
    for (int t = PAPER_TYPE_ARTICLE; t < PAPER_TYPE_COUNT; t++)
        ASSERT_EQ(TYPE_OF(paper_type_name((paper_type_t)t)), t);
    ASSERT_EQ(TYPE_OF(""), PAPER_TYPE_UNKNOWN);
    ASSERT_EQ(paper_type_parse(NULL, 0), PAPER_TYPE_UNKNOWN);
    ASSERT_EQ(TYPE_OF("journal article?"), PAPER_TYPE_OTHER);
    ASSERT_EQ(paper_type_name(PAPER_TYPE_UNKNOWN) == NULL, 1);
}

TEST(merge_rule)
{
    ASSERT_EQ(paper_type_merge(PAPER_TYPE_PREPRINT, PAPER_TYPE_ARTICLE), PAPER_TYPE_ARTICLE);
    ASSERT_EQ(paper_type_merge(PAPER_TYPE_ARTICLE, PAPER_TYPE_PREPRINT), PAPER_TYPE_ARTICLE);
    ASSERT_EQ(paper_type_merge(PAPER_TYPE_UNKNOWN, PAPER_TYPE_PREPRINT), PAPER_TYPE_PREPRINT);
    ASSERT_EQ(paper_type_merge(PAPER_TYPE_OTHER, PAPER_TYPE_BOOK), PAPER_TYPE_BOOK);
    ASSERT_EQ(paper_type_merge(PAPER_TYPE_PREPRINT, PAPER_TYPE_OTHER), PAPER_TYPE_PREPRINT);
    ASSERT_EQ(paper_type_merge(PAPER_TYPE_ARTICLE, PAPER_TYPE_PROCEEDINGS), PAPER_TYPE_ARTICLE);
    ASSERT_EQ(paper_type_merge(PAPER_TYPE_BOOK, PAPER_TYPE_UNKNOWN), PAPER_TYPE_BOOK);
}

TEST_MAIN()
