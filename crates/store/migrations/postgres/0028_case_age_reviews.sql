-- The case age review (issue 13 item 5): when the daily sweep turn next needs to look at an
-- open child case's age, so it loads only those cases instead of every child's.
-- `review_from` is the first day of the month the person turns 18 in (the month and year
-- only: the date of birth itself stays in the vault), or NULL when the case has no date of
-- birth to go by. A case with no row has not been looked at yet (new, imported, or its age
-- assessment concluded and deleted the row); the turn reads its date of birth once and
-- records the row. The turn acts on a case only on or after the 18th birthday, when the case
-- becomes an adult's and leaves the review.
-- PostgreSQL flavour; sqlite/0028_case_age_reviews.sql must stay equivalent.

CREATE TABLE case_age_reviews (
    case_id UUID PRIMARY KEY NOT NULL REFERENCES cases (case_id),
    review_from DATE
);

CREATE INDEX case_age_reviews_review_from ON case_age_reviews (review_from);
