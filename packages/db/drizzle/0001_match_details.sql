ALTER TABLE "core"."matches" ADD COLUMN "home_score_regular" integer;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD COLUMN "away_score_regular" integer;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD COLUMN "status_detail" text;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD COLUMN "periods" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD COLUMN "round_name" text;