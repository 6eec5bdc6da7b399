-- Each customer's API representation as JSON text: see 0011_customer_documents.sqlite.sql.
-- One BEFORE trigger does what the SQLite triggers do. The company's row is read FOR SHARE: a
-- customer written while its company is being renamed waits for the rename and then sees the
-- new name (companies' writers lock the company's customers first, so the two cannot wait for
-- each other; see CompanyStore).
ALTER TABLE customers ADD COLUMN doc TEXT;
-- The customers without a document, for the job that writes them (CustomerService).
CREATE INDEX customers_without_doc ON customers (id) WHERE doc IS NULL;
CREATE FUNCTION customers_doc_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  company_name TEXT;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.doc IS NOT DISTINCT FROM OLD.doc THEN
    NEW.doc := NULL;
  ELSIF NEW.doc IS NOT NULL AND NEW.company_id IS NOT NULL THEN
    SELECT name INTO company_name FROM companies WHERE id = NEW.company_id FOR SHARE;
    IF (CAST(NEW.doc AS json) ->> 'company') IS DISTINCT FROM company_name THEN
      NEW.doc := NULL;
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER customers_doc_check BEFORE INSERT OR UPDATE ON customers
FOR EACH ROW EXECUTE FUNCTION customers_doc_check();
CREATE FUNCTION companies_rename_docs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET doc = NULL WHERE company_id = NEW.id AND doc IS NOT NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER companies_rename_docs AFTER UPDATE OF name ON companies
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION companies_rename_docs();
