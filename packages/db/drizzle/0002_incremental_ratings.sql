CREATE TABLE "curated"."rating_calibration" (
	"pool_id" text PRIMARY KEY NOT NULL,
	"matches" integer NOT NULL,
	"brier" double precision,
	"log_loss" double precision,
	"as_of" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "ratings"."current_ratings" ADD COLUMN "season" text;--> statement-breakpoint
ALTER TABLE "ratings"."match_ratings" ADD COLUMN "actual_home" double precision DEFAULT 0.5 NOT NULL;--> statement-breakpoint
ALTER TABLE "ratings"."match_ratings" ADD COLUMN "counted" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "ratings"."match_ratings" ADD COLUMN "season" text;--> statement-breakpoint
ALTER TABLE "ratings"."match_ratings" ADD COLUMN "home_games" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ratings"."match_ratings" ADD COLUMN "away_games" integer DEFAULT 0 NOT NULL;