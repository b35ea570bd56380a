ALTER TABLE "core"."appearances" ADD COLUMN "raw_sha256" text;--> statement-breakpoint
ALTER TABLE "core"."incidents" ADD COLUMN "raw_sha256" text;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD COLUMN "raw_sha256" text;--> statement-breakpoint
ALTER TABLE "core"."participants" ADD COLUMN "raw_sha256" text;--> statement-breakpoint
ALTER TABLE "core"."seasons" ADD COLUMN "raw_sha256" text;--> statement-breakpoint
ALTER TABLE "core"."appearances" ADD CONSTRAINT "appearances_raw_sha256_hex" CHECK ("core"."appearances"."raw_sha256" IS NULL OR "core"."appearances"."raw_sha256" ~ '^[0-9a-f]{64}$');--> statement-breakpoint
ALTER TABLE "core"."incidents" ADD CONSTRAINT "incidents_raw_sha256_hex" CHECK ("core"."incidents"."raw_sha256" IS NULL OR "core"."incidents"."raw_sha256" ~ '^[0-9a-f]{64}$');--> statement-breakpoint
ALTER TABLE "core"."matches" ADD CONSTRAINT "matches_raw_sha256_hex" CHECK ("core"."matches"."raw_sha256" IS NULL OR "core"."matches"."raw_sha256" ~ '^[0-9a-f]{64}$');--> statement-breakpoint
ALTER TABLE "core"."participants" ADD CONSTRAINT "participants_raw_sha256_hex" CHECK ("core"."participants"."raw_sha256" IS NULL OR "core"."participants"."raw_sha256" ~ '^[0-9a-f]{64}$');--> statement-breakpoint
ALTER TABLE "core"."seasons" ADD CONSTRAINT "seasons_raw_sha256_hex" CHECK ("core"."seasons"."raw_sha256" IS NULL OR "core"."seasons"."raw_sha256" ~ '^[0-9a-f]{64}$');