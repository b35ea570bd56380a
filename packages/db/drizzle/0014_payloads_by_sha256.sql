-- Lineage (manifest watermarks, matchflow lineage): core rows name their raw payload by sha256
-- alone; without this, each lookup scanned the source's payloads.
CREATE INDEX "payloads_sha256" ON "raw"."payloads" USING btree ("sha256");
