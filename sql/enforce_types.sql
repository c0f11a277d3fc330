-- README, "Protecting a table" and "Errors": column types, odd values, odd strings, and
-- columns that change under a protection
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
SET extra_float_digits = 0;
\set VERBOSITY default
\set SHOW_CONTEXT never

INSERT INTO valuecheck.floors (product, campaign, currency, min_price, max_discount) VALUES
    ('SKU-1', NULL, NULL, 90, NULL),        -- 1
    ('F33',   NULL, NULL, 33, NULL),        -- 2
    ('DISC',  NULL, NULL, NULL, 0.2),       -- 3
    ('42',    NULL, NULL, 10, NULL),        -- 4
    ('42',    '7',  NULL, 5,  NULL),        -- 5
    ('SKU-1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL, 50, NULL),  -- 6
    ('SKU-1', NULL, 'EUR', 95, NULL),       -- 7
    ('', NULL, NULL, 1, NULL),              -- 8
    ('42.0', NULL, NULL, 20, NULL);         -- 9

-- ---------------------------------------------------------------------
-- Price and list price columns of every allowed type
-- ---------------------------------------------------------------------
CREATE TABLE typed (
    sku  text,
    num  numeric,  i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
    lnum numeric, li2 smallint, li4 integer, li8 bigint, lf4 real, lf8 double precision
);
SELECT valuecheck.protect('typed', product => 'sku', price => 'num', list_price => 'lnum');
INSERT INTO typed (sku, num) VALUES ('SKU-1', 89.5);
INSERT INTO typed (sku, num, lnum) VALUES ('DISC', 79.5, 100), ('DISC', 80, 100);
SELECT valuecheck.protect('typed', product => 'sku', price => 'i2', list_price => 'li2');
INSERT INTO typed (sku, i2) VALUES ('SKU-1', 89);
INSERT INTO typed (sku, i2, li2) VALUES ('DISC', 79, 100);
INSERT INTO typed (sku, i2, li2) VALUES ('SKU-1', 90, NULL), ('DISC', 80, 100);
SELECT valuecheck.protect('typed', product => 'sku', price => 'i4', list_price => 'li4');
INSERT INTO typed (sku, i4) VALUES ('SKU-1', 89);
INSERT INTO typed (sku, i4, li4) VALUES ('DISC', 79, 100);
INSERT INTO typed (sku, i4, li4) VALUES ('SKU-1', 90, NULL), ('DISC', 80, 100);
SELECT valuecheck.protect('typed', product => 'sku', price => 'i8', list_price => 'li8');
INSERT INTO typed (sku, i8) VALUES ('SKU-1', 89);
INSERT INTO typed (sku, i8, li8) VALUES ('DISC', 79, 100);
INSERT INTO typed (sku, i8, li8) VALUES ('SKU-1', 90, NULL), ('DISC', 9223372036854775807, 100);
INSERT INTO typed (sku, i8) VALUES ('SKU-1', -9223372036854775808);
SELECT valuecheck.protect('typed', product => 'sku', price => 'f4', list_price => 'lf4');
INSERT INTO typed (sku, f4) VALUES ('SKU-1', 89.99);
INSERT INTO typed (sku, f4, lf4) VALUES ('DISC', 79.9, 100);
INSERT INTO typed (sku, f4, lf4) VALUES ('SKU-1', 90, NULL), ('DISC', 80, 100);
SELECT valuecheck.protect('typed', product => 'sku', price => 'f8', list_price => 'lf8');
INSERT INTO typed (sku, f8) VALUES ('SKU-1', 89.99);
INSERT INTO typed (sku, f8, lf8) VALUES ('DISC', 79.9, 100);
INSERT INTO typed (sku, f8, lf8) VALUES ('SKU-1', 90, NULL), ('DISC', 80, 100);
-- price and list price of different types
SELECT valuecheck.protect('typed', product => 'sku', price => 'f8', list_price => 'li2');
INSERT INTO typed (sku, f8, li2) VALUES ('DISC', 79.9, 100);
INSERT INTO typed (sku, f8, li2) VALUES ('DISC', 80, 100);
SELECT valuecheck.protect('typed', product => 'sku', price => 'i2', list_price => 'lf4');
INSERT INTO typed (sku, i2, lf4) VALUES ('DISC', 79, 99.9);
INSERT INTO typed (sku, i2, lf4) VALUES ('DISC', 80, 99.9);
SELECT sku, num, i2, i4, i8, f4, f8, lnum, li2, li4, li8, lf4, lf8 FROM typed
 ORDER BY sku, num, i2, i4, i8, f4, f8, li2, lf4;
TRUNCATE typed;

-- floats are compared after PostgreSQL's own cast to numeric
SELECT 32.99999999999999::float8 < 33::float8 AS float8_is_below,
       32.99999999999999::float8::numeric AS float8_as_numeric,
       32.99999999999999::float8::numeric >= 33 AS numeric_is_not_below,
       32.99999::real < 33::real AS real_is_below,
       32.99999::real::numeric AS real_as_numeric,
       32.9999::real::numeric AS real_4_digits;
SELECT valuecheck.protect('typed', product => 'sku', price => 'f8');
INSERT INTO typed (sku, f8) VALUES ('F33', 32.99999999999999);
INSERT INTO typed (sku, f8) VALUES ('F33', 32.9999999999999);
SELECT valuecheck.protect('typed', product => 'sku', price => 'f4');
INSERT INTO typed (sku, f4) VALUES ('F33', 32.99999);
INSERT INTO typed (sku, f4) VALUES ('F33', 32.9999);
SELECT sku, f4, f8, f4::numeric AS f4_numeric, f8::numeric AS f8_numeric FROM typed ORDER BY f4, f8;
TRUNCATE typed;

-- ---------------------------------------------------------------------
-- NULL, NaN, infinities, huge and negative prices and list prices
-- ---------------------------------------------------------------------
SELECT valuecheck.protect('typed', product => 'sku', price => 'num', list_price => 'lnum');
INSERT INTO typed (sku, num) VALUES ('SKU-1', NULL);
INSERT INTO typed (sku, num) VALUES ('SKU-1', 'NaN');
INSERT INTO typed (sku, num) VALUES ('SKU-1', '-Infinity');
INSERT INTO typed (sku, num) VALUES ('SKU-1', -1);
INSERT INTO typed (sku, num) VALUES ('SKU-1', -1e100);
INSERT INTO typed (sku, num) VALUES ('SKU-1', 89.999999999999999999999999999999999999999);
INSERT INTO typed (sku, num) VALUES ('SKU-1', 'Infinity'), ('SKU-1', 1e100), ('SKU-1', 90.000000000000000000001);
-- NaN price with a list price, NaN and odd list prices
INSERT INTO typed (sku, num, lnum) VALUES ('DISC', 'NaN', 100);
INSERT INTO typed (sku, num, lnum) VALUES ('DISC', 80, 'NaN');
INSERT INTO typed (sku, num, lnum) VALUES ('DISC', 80, NULL);
INSERT INTO typed (sku, num, lnum) VALUES ('DISC', 1e100, 'Infinity');
INSERT INTO typed (sku, num, lnum) VALUES ('DISC', 8e99, 1e100);
INSERT INTO typed (sku, num, lnum) VALUES ('DISC', 7.9e99, 1e100);
INSERT INTO typed (sku, num, lnum) VALUES ('DISC', 0, 0), ('DISC', -8, -10), ('DISC', 'Infinity', 'Infinity');
-- a min_price floor ignores an odd list price
INSERT INTO typed (sku, num, lnum) VALUES ('SKU-1', 90, 'NaN'), ('SKU-1', 90, '-Infinity');
-- no floor: anything goes with 'allow'
INSERT INTO typed (sku, num, lnum) VALUES ('NONE', 'NaN', 'NaN'), ('NONE', NULL, NULL), ('NONE', '-Infinity', -1);
SELECT sku, num, lnum FROM typed ORDER BY sku, num, lnum;
TRUNCATE typed;
-- the same through a float column
SELECT valuecheck.protect('typed', product => 'sku', price => 'f8', list_price => 'lf8');
INSERT INTO typed (sku, f8) VALUES ('SKU-1', 'NaN');
INSERT INTO typed (sku, f8) VALUES ('SKU-1', '-Infinity');
INSERT INTO typed (sku, f8, lf8) VALUES ('DISC', 80, 'NaN');
INSERT INTO typed (sku, f8, lf8) VALUES ('DISC', 80, 'Infinity');
INSERT INTO typed (sku, f8, lf8) VALUES ('DISC', 1e30, 1e30);
INSERT INTO typed (sku, f8, lf8) VALUES ('DISC', 7.9e29, 1e30);
INSERT INTO typed (sku, f8) VALUES ('SKU-1', 'Infinity'), ('SKU-1', 1e308);
SELECT sku, f8, lf8 FROM typed ORDER BY sku, f8;
TRUNCATE typed;
DROP TABLE typed;

-- ---------------------------------------------------------------------
-- Key columns of other types are compared by their text form
-- ---------------------------------------------------------------------
CREATE TABLE keyed (
    p_int     integer,
    p_num     numeric,
    p_varchar varchar(20),
    p_char    char(8),
    c_int     integer,
    c_uuid    uuid,
    c_char    char(10),
    cur       char(3),
    price     numeric
);
-- integer product 42 is '42'
SELECT valuecheck.protect('keyed', product => 'p_int', price => 'price', campaign => 'c_int');
INSERT INTO keyed (p_int, price) VALUES (42, 9);
INSERT INTO keyed (p_int, price, c_int) VALUES (42, 4, 7);
INSERT INTO keyed (p_int, price, c_int) VALUES (42, 5, 7), (42, 10, 8), (43, 1, NULL);
-- numeric 42.0 is '42.0', not '42'
SELECT valuecheck.protect('keyed', product => 'p_num', price => 'price');
INSERT INTO keyed (p_num, price) VALUES (42.0, 19);
INSERT INTO keyed (p_num, price) VALUES (42, 9);
INSERT INTO keyed (p_num, price) VALUES (42.00, 1);
-- varchar
SELECT valuecheck.protect('keyed', product => 'p_varchar', price => 'price');
INSERT INTO keyed (p_varchar, price) VALUES ('SKU-1', 89);
INSERT INTO keyed (p_varchar, price) VALUES ('SKU-1 ', 89);
-- char(n): its text form is what ::text gives, without the padding
SELECT 'SKU-1'::char(8)::text AS char_as_text, length('SKU-1'::char(8)::text) AS len;
SELECT valuecheck.protect('keyed', product => 'p_char', price => 'price', campaign => 'c_char',
                          currency => 'cur');
INSERT INTO keyed (p_char, price) VALUES ('SKU-1', 89);
INSERT INTO keyed (p_char, price, cur) VALUES ('SKU-1', 94, 'EUR');
INSERT INTO keyed (p_char, price, cur) VALUES ('SKU-1', 95, 'EU');
INSERT INTO keyed (p_char, price, cur) VALUES ('SKU-1', 90, 'USD'), ('SKU-1', 95, 'EUR');
INSERT INTO keyed (p_char, price) VALUES ('', 0.5);
-- uuid campaign, written in upper case: its text form is lower case
SELECT valuecheck.protect('keyed', product => 'p_varchar', price => 'price', campaign => 'c_uuid');
INSERT INTO keyed (p_varchar, price, c_uuid) VALUES ('SKU-1', 49, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11');
INSERT INTO keyed (p_varchar, price, c_uuid) VALUES ('SKU-1', 50, '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}');
INSERT INTO keyed (p_varchar, price, c_uuid) VALUES ('SKU-1', 50, 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
-- the empty string is a product like any other
INSERT INTO keyed (p_varchar, price) VALUES ('', 0.99);
INSERT INTO keyed (p_varchar, price) VALUES ('', 1);
SELECT p_int, p_num, p_varchar, p_char, c_int, c_uuid, c_char, cur, price FROM keyed
 ORDER BY price, p_int, p_num, p_varchar, p_char, c_int, c_uuid;
DROP TABLE keyed;

-- ---------------------------------------------------------------------
-- Strings with quotes, backslashes and non-ASCII text
-- ---------------------------------------------------------------------
INSERT INTO valuecheck.floors (product, campaign, min_price) VALUES
    ('O''Reilly "Deluxe" \ édition 日本', NULL, 100),
    ('Tab	and
newline', NULL, 10),
    ('Ümlaut', 'Frühling ''24 \n', 50);
CREATE TABLE odd (sku text, price numeric, campaign text);
SELECT valuecheck.protect('odd', product => 'sku', price => 'price', campaign => 'campaign');
INSERT INTO odd VALUES ('O''Reilly "Deluxe" \ édition 日本', 99.5, NULL);
INSERT INTO odd VALUES (E'Tab\tand\nnewline', 9, NULL);
INSERT INTO odd VALUES ('Ümlaut', 49, 'Frühling ''24 \n');
INSERT INTO odd VALUES ('Ümlaut', 49, E'Frühling ''24 \n');
INSERT INTO odd VALUES ('O''Reilly "Deluxe" \ édition 日本', 100, NULL),
                       (E'Tab\tand\nnewline', 10, NULL),
                       ('Ümlaut', 50, 'Frühling ''24 \n'),
                       ('Umlaut', 1, NULL);
SELECT * FROM odd ORDER BY price;
SELECT valuecheck.floor_for('O''Reilly "Deluxe" \ édition 日本') AS quoted,
       valuecheck.floor_for('Ümlaut', campaign => 'Frühling ''24 \n') AS non_ascii;
DROP TABLE odd;

-- ---------------------------------------------------------------------
-- Mapped columns that are dropped, renamed or retyped after protect()
-- ---------------------------------------------------------------------
CREATE TABLE changing (id integer, sku text, price numeric, list_price numeric, campaign text);
SELECT valuecheck.protect('changing', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign');
INSERT INTO changing VALUES (1, 'SKU-1', 95, 100, NULL);
-- a dropped mapped column: a clear error on the next write, no crash
ALTER TABLE changing DROP COLUMN campaign;
INSERT INTO changing VALUES (2, 'SKU-1', 95, 100);
UPDATE changing SET price = 96 WHERE id = 1;
-- a write that does not touch the table's rows needs no mapping
DELETE FROM changing WHERE id = 999;
SELECT * FROM valuecheck.protected;
-- protect() again fixes it
SELECT valuecheck.protect('changing', product => 'sku', price => 'price', list_price => 'list_price');
INSERT INTO changing VALUES (2, 'SKU-1', 95, 100);
INSERT INTO changing VALUES (3, 'SKU-1', 89, 100);
-- a renamed mapped column
ALTER TABLE changing RENAME COLUMN price TO unit_price;
INSERT INTO changing VALUES (3, 'SKU-1', 95, 100);
SELECT relation, product, price FROM valuecheck.protected;
SELECT valuecheck.protect('changing', product => 'sku', price => 'unit_price', list_price => 'list_price');
INSERT INTO changing VALUES (3, 'SKU-1', 95, 100);
INSERT INTO changing VALUES (4, 'SKU-1', 89, 100);
-- another column renamed to the mapped name is then the mapped column
ALTER TABLE changing RENAME COLUMN list_price TO lp;
ALTER TABLE changing RENAME COLUMN lp TO list_price;
INSERT INTO changing VALUES (4, 'DISC', 80, 100);
INSERT INTO changing VALUES (5, 'DISC', 79, 100);
-- a price retyped to text: a clear error
ALTER TABLE changing ALTER COLUMN unit_price TYPE text;
INSERT INTO changing VALUES (5, 'SKU-1', '95', 100);
-- retyped to bigint: checked again as a price
ALTER TABLE changing ALTER COLUMN unit_price TYPE bigint USING unit_price::numeric::bigint;
INSERT INTO changing VALUES (5, 'SKU-1', 95, 100);
INSERT INTO changing VALUES (6, 'SKU-1', 89, 100);
-- retyped to double precision
ALTER TABLE changing ALTER COLUMN unit_price TYPE double precision;
INSERT INTO changing VALUES (6, 'SKU-1', 89.9, 100);
INSERT INTO changing VALUES (6, 'SKU-1', 90.5, 100);
-- a list price retyped to text, and back
ALTER TABLE changing ALTER COLUMN list_price TYPE text;
INSERT INTO changing VALUES (7, 'SKU-1', 95, '100');
ALTER TABLE changing ALTER COLUMN list_price TYPE numeric USING list_price::numeric;
INSERT INTO changing VALUES (7, 'DISC', 80, 100);
-- the product column retyped to integer: compared by its text form
ALTER TABLE changing ALTER COLUMN sku TYPE integer USING 42;
INSERT INTO changing VALUES (8, 42, 9, 100);
INSERT INTO changing VALUES (8, 42, 10, 100);
-- a dropped price column
ALTER TABLE changing DROP COLUMN unit_price;
INSERT INTO changing VALUES (9, 42, 100);
SELECT valuecheck.unprotect('changing');
INSERT INTO changing VALUES (9, 42, 100);
SELECT * FROM changing ORDER BY id;
DROP TABLE changing;

-- the same on a partitioned table: every partition notices
CREATE TABLE pchanging (region text, sku text, price numeric, campaign text) PARTITION BY LIST (region);
CREATE TABLE pchanging_eu PARTITION OF pchanging FOR VALUES IN ('EU');
CREATE TABLE pchanging_us PARTITION OF pchanging FOR VALUES IN ('US');
SELECT valuecheck.protect('pchanging', product => 'sku', price => 'price', campaign => 'campaign');
INSERT INTO pchanging VALUES ('EU', 'SKU-1', 95, NULL), ('US', 'SKU-1', 95, NULL);
ALTER TABLE pchanging RENAME COLUMN campaign TO promo;
INSERT INTO pchanging VALUES ('EU', 'SKU-1', 95, NULL);
INSERT INTO pchanging_us VALUES ('US', 'SKU-1', 95, NULL);
SELECT valuecheck.protect('pchanging', product => 'sku', price => 'price', campaign => 'promo');
INSERT INTO pchanging VALUES ('EU', 'SKU-1', 85, NULL);
INSERT INTO pchanging VALUES ('US', 'SKU-1', 96, NULL);
SELECT tableoid::regclass AS part, * FROM pchanging ORDER BY part, price;
DROP TABLE pchanging;
