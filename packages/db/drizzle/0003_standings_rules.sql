ALTER TABLE "curated"."standings" ADD COLUMN "adjustment" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "curated"."standings" ADD COLUMN "form" text DEFAULT '' NOT NULL;