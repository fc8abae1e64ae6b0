-- Managed identities hold no private key any more: the IMDS host asks AAD for their tokens over
-- the internal API (docs/internal-apis.md). Forget the keys older versions stored; the columns
-- stay (SQLite cannot drop NOT NULL columns cheaply) and are written empty from now on.
UPDATE identity_credentials SET private_key_pem = '', certificate_pem = '';
