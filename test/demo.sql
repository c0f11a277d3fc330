-- valuecheck demo: a sample order book, marketing's floors, a refused
-- discount, a manager's exception, a warn-mode table, and the leakage report.
-- Run by `make demo` (psql echoes every statement; refused statements are
-- part of the story, so errors do not stop it).

\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = notice;
SET timezone = 'UTC';

-- ---------------------------------------------------------------------------
-- 1. The DBA installs valuecheck and creates the roles of the story.
-- ---------------------------------------------------------------------------
CREATE EXTENSION valuecheck CASCADE;

CREATE ROLE demo_marketing;
CREATE ROLE demo_manager;
CREATE ROLE demo_rep;
GRANT INSERT, UPDATE, DELETE ON valuecheck.floors TO demo_marketing;
GRANT EXECUTE ON FUNCTION valuecheck.approve(text, numeric, text, timestamptz, text, text, integer),
                          valuecheck.revoke_approval(bigint) TO demo_manager;
GRANT SELECT ON valuecheck.approvals, valuecheck.exceptions TO demo_manager;

-- ---------------------------------------------------------------------------
-- 2. The catalogue and the order book: 40 products, 12 reps, 3 campaigns.
-- ---------------------------------------------------------------------------
CREATE TABLE products (
    sku        text PRIMARY KEY,
    name       text NOT NULL,
    list_price numeric(12,2) NOT NULL
);
INSERT INTO products
SELECT format('SKU-%s', lpad(i::text, 3, '0')),
       (ARRAY['Espresso machine', 'Grinder', 'Kettle', 'Milk frother', 'Scale'])[1 + i % 5]
           || ' ' || (ARRAY['Classic', 'Pro', 'Signature', 'Studio'])[1 + i % 4],
       round((49 + (i * 37) % 950)::numeric, 2)
  FROM generate_series(1, 40) AS i;
GRANT SELECT ON products TO demo_marketing;

-- The key columns a rep writes are tied to real rows (README "Security"):
-- valuecheck compares them by text, so 'sku-007' or a made-up campaign
-- would otherwise find no floor, or another one.
CREATE TABLE campaigns (campaign text PRIMARY KEY);
INSERT INTO campaigns VALUES ('SPRING'), ('BLACK-FRIDAY'), ('PARTNER');
CREATE TABLE reps (rep text PRIMARY KEY);
INSERT INTO reps VALUES ('Ada'), ('Ben'), ('Chloe'), ('Dev'), ('Eva'), ('Femi'), ('Gus'),
                        ('Hana'), ('Ivan'), ('Jo'), ('Kai'), ('Lena');

CREATE TABLE orders (
    order_line  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text NOT NULL REFERENCES products,
    qty         integer NOT NULL CHECK (qty > 0),
    list_price  numeric(12,2) NOT NULL CHECK (list_price > 0),
    unit_price  numeric(12,2) NOT NULL CHECK (unit_price >= 0),
    campaign    text REFERENCES campaigns,
    rep         text NOT NULL REFERENCES reps,
    approval_id bigint,
    ordered_at  timestamptz NOT NULL DEFAULT now(),
    status      text NOT NULL DEFAULT 'open'
);
GRANT SELECT, INSERT, UPDATE ON orders TO demo_rep;

-- ---------------------------------------------------------------------------
-- 3. Marketing sets value floors: at most 15% off in general, a deeper
--    sanctioned discount during Black Friday, and hard minimums on the
--    premium "Signature" line.
-- ---------------------------------------------------------------------------
SET ROLE demo_marketing;
INSERT INTO valuecheck.floors (product, max_discount, note)
SELECT sku, 0.15, 'general policy' FROM products;
INSERT INTO valuecheck.floors (product, campaign, max_discount, note)
SELECT sku, 'BLACK-FRIDAY', 0.30, 'sanctioned promotion' FROM products;
UPDATE valuecheck.floors f
   SET min_price = round(p.list_price * 0.90, 2), note = 'premium line: never below 90%'
  FROM products p
 WHERE p.sku = f.product AND p.name LIKE '%Signature' AND f.campaign IS NULL;
RESET ROLE;

SELECT product, campaign, min_price, max_discount, valid, note
  FROM valuecheck.floors ORDER BY product, campaign NULLS FIRST LIMIT 6;

-- ---------------------------------------------------------------------------
-- 4. History: 6,000 lines imported from the old system, with checking off
--    (a superuser-only maintenance switch); some were sold below today's
--    floors.
-- ---------------------------------------------------------------------------
SELECT setseed(0.2026);
SET valuecheck.enabled = off;
INSERT INTO orders (sku, qty, list_price, unit_price, campaign, rep, ordered_at)
SELECT p.sku, q.qty, p.list_price,
       round(p.list_price * (1 - d.discount), 2),
       c.campaign, r.rep,
       timestamptz '2026-01-01' + (random() * 300) * interval '1 day'
  FROM generate_series(1, 6000) AS g
  CROSS JOIN LATERAL (SELECT 1 + (random() * 39)::int AS pick, random() AS u, random() AS v,
                             random() AS w, g AS tick) AS x
  JOIN products p ON p.sku = format('SKU-%s', lpad(x.pick::text, 3, '0'))
  CROSS JOIN LATERAL (SELECT 1 + (x.w * 9)::int AS qty) AS q
  CROSS JOIN LATERAL (SELECT (ARRAY[NULL, NULL, 'SPRING', 'BLACK-FRIDAY', 'PARTNER'])[1 + (x.v * 4)::int] AS campaign) AS c
  CROSS JOIN LATERAL (SELECT (ARRAY['Ada', 'Ben', 'Chloe', 'Dev', 'Eva', 'Femi', 'Gus',
                                    'Hana', 'Ivan', 'Jo', 'Kai', 'Lena'])[1 + (x.tick % 12)] AS rep) AS r
  CROSS JOIN LATERAL (SELECT CASE WHEN r.rep IN ('Femi', 'Kai') THEN round((x.u * 0.35)::numeric, 2)
                                  ELSE round((x.u * 0.14)::numeric, 2) END AS discount) AS d;
RESET valuecheck.enabled;
SELECT count(*) AS lines, count(DISTINCT rep) AS reps, count(DISTINCT campaign) AS campaigns
  FROM orders;

-- ---------------------------------------------------------------------------
-- 5. The DBA protects the table: from now on every write is checked.
-- ---------------------------------------------------------------------------
SELECT valuecheck.protect('orders',
         product    => 'sku',
         price      => 'unit_price',
         list_price => 'list_price',
         quantity   => 'qty',
         campaign   => 'campaign',
         rep        => 'rep',
         ordered_at => 'ordered_at',
         approval   => 'approval_id',
         unknown_product => 'reject');   -- every product sold must have a floor
SELECT * FROM valuecheck.protected;

-- ---------------------------------------------------------------------------
-- 6. A rep sells within policy, then tries a deep discount: refused.
-- ---------------------------------------------------------------------------
SET ROLE demo_rep;
INSERT INTO orders (sku, qty, list_price, unit_price, rep)
VALUES ('SKU-007', 2, 308.00, 270.00, 'Femi');
INSERT INTO orders (sku, qty, list_price, unit_price, rep)
VALUES ('SKU-007', 50, 308.00, 231.00, 'Femi');
\errverbose
-- a key the catalogue does not know finds no floor, so it is refused too:
-- a misspelt product by its foreign key, a made-up campaign likewise
INSERT INTO orders (sku, qty, list_price, unit_price, rep)
VALUES ('sku-007', 50, 308.00, 231.00, 'Femi');
INSERT INTO orders (sku, qty, list_price, unit_price, campaign, rep)
VALUES ('SKU-007', 50, 308.00, 231.00, 'BLACK-FRIDAY-VIP', 'Femi');
-- the same line in a Black Friday deal is within the sanctioned promotion
INSERT INTO orders (sku, qty, list_price, unit_price, campaign, rep)
VALUES ('SKU-007', 50, 308.00, 231.00, 'BLACK-FRIDAY', 'Femi');
-- a bulk load of 3 lines with one bad line writes nothing
COPY orders (sku, qty, list_price, unit_price, rep) FROM stdin (FORMAT csv);
SKU-001,1,86.00,80.00,Ada
SKU-002,1,123.00,60.00,Ada
SKU-003,1,160.00,150.00,Ada
\.
SELECT count(*) AS ada_lines_today FROM orders WHERE rep = 'Ada' AND ordered_at > now() - interval '1 minute';
-- nor can the rep switch checking off
SET valuecheck.enabled = off;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- 7. A manager approves the deal once, with a reason.
-- ---------------------------------------------------------------------------
SET ROLE demo_manager;
SELECT valuecheck.approve('SKU-007', 231.00, 'strategic account: 50 units, 3-year contract',
                          rep => 'Femi', max_uses => 1) AS approval_id \gset
RESET ROLE;

SET ROLE demo_rep;
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id)
VALUES ('SKU-007', 50, 308.00, 231.00, 'Femi', :approval_id);
-- the second try is refused: the approval was for one deal
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id)
VALUES ('SKU-007', 50, 308.00, 231.00, 'Femi', :approval_id);
-- and another rep cannot borrow it
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id)
VALUES ('SKU-007', 50, 308.00, 231.00, 'Gus', :approval_id);
-- shipped: updating the status never re-checks
UPDATE orders SET status = 'shipped' WHERE approval_id = :approval_id;
RESET ROLE;

SET ROLE demo_manager;
SELECT approval_id, product, rep, min_price, max_uses, uses, reason, approved_by
  FROM valuecheck.approvals;
SELECT relation, approval_id, product, rep, price, floor, logged_by
  FROM valuecheck.exceptions;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- 8. A web-quotes table in warn mode: lines are kept, violations logged.
-- ---------------------------------------------------------------------------
CREATE TABLE web_quotes (
    quote_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku        text NOT NULL,
    list_price numeric(12,2),
    price      numeric(12,2),
    campaign   text
);
SELECT valuecheck.protect('web_quotes', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign',
                          mode => 'warn');
INSERT INTO web_quotes (sku, list_price, price) VALUES
    ('SKU-010', 419.00, 400.00),
    ('SKU-010', 419.00, 299.00);
SELECT relation, product, price, floor, floor_id, logged_by FROM valuecheck.violations;
SELECT relation, product, price, list_price, campaign, mode, unknown_product
  FROM valuecheck.protected ORDER BY relation::text;

-- ---------------------------------------------------------------------------
-- 9. The analyst's view: leakage by rep and campaign, subtotals per rep,
--    grand total last.  Floors are taken at each line's own time.
-- ---------------------------------------------------------------------------
-- Two reps in full: one row per campaign (campaign NULL: sold outside any
-- campaign), then the rep's subtotal; the level column says which is which.
SELECT rep, campaign, level, lines, units, list_revenue, net_revenue, discount,
       round(discount_rate, 4) AS discount_rate, discounted_lines,
       round(max_discount_rate, 4) AS max_discount_rate,
       below_floor_lines, floor_leakage
  FROM valuecheck.leakage_report('orders')
 WHERE rep IN ('Ada', 'Femi');

-- The grand total (the last row of the report):
SELECT lines, units, list_revenue, net_revenue, discount,
       round(discount_rate, 4) AS discount_rate, below_floor_lines, floor_leakage
  FROM valuecheck.leakage_report('orders')
 WHERE level = 'total';

-- The sales manager's view: floor leakage, rep by campaign, pivoted by psql.
SELECT rep,
       CASE level WHEN 'rep' THEN 'all campaigns' ELSE COALESCE(campaign, 'no campaign') END AS campaign,
       floor_leakage
  FROM valuecheck.leakage_report('orders')
 WHERE level <> 'total'
 ORDER BY rep
\crosstabview rep campaign floor_leakage

-- Only what was sold since June:
SELECT rep, campaign, lines, discount, floor_leakage
  FROM valuecheck.leakage_report('orders', since => '2026-06-01')
 WHERE rep = 'Femi';

-- The aggregates are plain SQL, for any query an analyst writes:
SELECT rep,
       (valuecheck.leakage(list_price, unit_price, qty)).discount_rate::numeric(6,4) AS discount_rate,
       valuecheck.discount_leakage(list_price, unit_price, qty) AS given_away,
       valuecheck.floor_leakage(unit_price,
                                valuecheck.floor_for(sku, ordered_at, campaign, NULL, list_price),
                                qty) AS below_floor
  FROM orders
 GROUP BY rep
 ORDER BY below_floor DESC, rep
 LIMIT 5;

-- ---------------------------------------------------------------------------
-- 10. Marketing raises the floor of a premium product; the audit lists the
--     lines written before that are below the floor in force at their time.
-- ---------------------------------------------------------------------------
SET ROLE demo_marketing;
UPDATE valuecheck.floors
   SET valid = tstzrange(lower(valid), '2026-06-01')
 WHERE product = 'SKU-003' AND campaign IS NULL;
INSERT INTO valuecheck.floors (product, min_price, valid, note)
VALUES ('SKU-003', 155.00, tstzrange('2026-06-01', NULL), 'premium repositioning');
RESET ROLE;

SELECT relation, product, campaign, rep, price, floor, floor_id, approval_id, approved
  FROM valuecheck.audit('orders')
 WHERE product = 'SKU-003'
 ORDER BY price, rep
 LIMIT 8;
SELECT count(*) AS lines_below_floor, count(*) FILTER (WHERE approved) AS approved
  FROM valuecheck.audit('orders');

-- Orders already written stay updatable:
UPDATE orders SET status = 'invoiced' WHERE sku = 'SKU-003';
