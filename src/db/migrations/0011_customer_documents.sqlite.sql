-- Each customer's API representation as JSON text, written by the writes that have the whole
-- customer at hand (create, update, import, seed, and the last interaction and purchase totals
-- when the row is still at the version they read): GET /customers and GET /customers/{id} send
-- it as stored instead of reading twenty columns and the company's name for every customer.
-- NULL means "build it from the columns" (rows written before this migration, and any the
-- triggers below clear). The triggers keep a stored document from ever being out of date:
-- an update that changes the row without writing a new document clears it (a derived value
-- written without one, the company set to NULL when it is deleted, any future write), a renamed
-- company clears its customers' documents, and a document that names another company than the
-- row's company_id has is not kept.
ALTER TABLE customers ADD COLUMN doc TEXT;
-- The customers without a document, for the job that writes them (CustomerService).
CREATE INDEX customers_without_doc ON customers (id) WHERE doc IS NULL;
CREATE TRIGGER customers_doc_stale AFTER UPDATE ON customers
WHEN OLD.doc IS NOT NULL AND NEW.doc IS OLD.doc
BEGIN UPDATE customers SET doc = NULL WHERE rowid = NEW.rowid; END;
CREATE TRIGGER customers_doc_company_insert AFTER INSERT ON customers
WHEN NEW.doc IS NOT NULL AND NEW.company_id IS NOT NULL AND json_extract(NEW.doc, '$.company') IS NOT (SELECT name FROM companies WHERE id = NEW.company_id)
BEGIN UPDATE customers SET doc = NULL WHERE rowid = NEW.rowid; END;
CREATE TRIGGER customers_doc_company_update AFTER UPDATE OF doc ON customers
WHEN NEW.doc IS NOT NULL AND NEW.company_id IS NOT NULL AND json_extract(NEW.doc, '$.company') IS NOT (SELECT name FROM companies WHERE id = NEW.company_id)
BEGIN UPDATE customers SET doc = NULL WHERE rowid = NEW.rowid; END;
CREATE TRIGGER companies_rename_docs AFTER UPDATE OF name ON companies
WHEN NEW.name IS NOT OLD.name
BEGIN UPDATE customers SET doc = NULL WHERE company_id = NEW.id AND doc IS NOT NULL; END;
