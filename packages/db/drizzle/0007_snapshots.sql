CREATE TABLE "ops"."snapshots" (
	"version" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"content_hash" text NOT NULL,
	"row_counts" jsonb NOT NULL,
	"quality_score" double precision NOT NULL,
	"manifest" jsonb NOT NULL,
	"latest" boolean DEFAULT false NOT NULL,
	"latest_since" timestamp with time zone,
	"pruned_at" timestamp with time zone,
	CONSTRAINT "snapshots_content_hash_hex" CHECK ("ops"."snapshots"."content_hash" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "snapshots_latest_not_pruned" CHECK (NOT ("ops"."snapshots"."latest" AND "ops"."snapshots"."pruned_at" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "snapshots_one_latest" ON "ops"."snapshots" USING btree ("latest") WHERE "ops"."snapshots"."latest";--> statement-breakpoint
CREATE INDEX "snapshots_created" ON "ops"."snapshots" USING btree ("created_at");