-- A row per mark instead of one row per pool: concurrent ingests of a pool no longer wait for
-- each other on the pool's row. Markers already there are kept.
ALTER TABLE "ratings"."dirty_markers" DROP CONSTRAINT "dirty_markers_pkey";--> statement-breakpoint
ALTER TABLE "ratings"."dirty_markers" ADD COLUMN "id" bigint PRIMARY KEY NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "ratings"."dirty_markers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
CREATE INDEX "dirty_markers_pool" ON "ratings"."dirty_markers" USING btree ("pool_id");
