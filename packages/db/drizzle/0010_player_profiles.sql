-- Player profiles from the upstream (the `players` enrichment stage) and the curated players
-- table built from them and the appearances.
CREATE TABLE "core"."player_profiles" (
	"player_id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"source_id" text NOT NULL,
	"position" text,
	"nationality" text,
	"date_of_birth" date,
	"height_cm" integer,
	"preferred_foot" text,
	"shirt_number" integer,
	"team_source_id" text,
	"team_id" text,
	"market_value_eur" bigint,
	"complete" boolean GENERATED ALWAYS AS (nationality IS NOT NULL AND date_of_birth IS NOT NULL AND height_cm IS NOT NULL AND preferred_foot IS NOT NULL AND position IS NOT NULL) STORED NOT NULL,
	"not_found" boolean DEFAULT false NOT NULL,
	"raw_sha256" text,
	"checked_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "player_profiles_preferred_foot" CHECK ("core"."player_profiles"."preferred_foot" IS NULL OR "core"."player_profiles"."preferred_foot" IN ('right', 'left', 'both')),
	CONSTRAINT "player_profiles_raw_sha256_hex" CHECK ("core"."player_profiles"."raw_sha256" IS NULL OR "core"."player_profiles"."raw_sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "curated"."players" (
	"player_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"short_name" text,
	"position" text,
	"nationality" text,
	"date_of_birth" date,
	"height_cm" integer,
	"preferred_foot" text,
	"team_id" text,
	"team_name" text,
	"appearances" integer NOT NULL,
	"minutes" integer NOT NULL,
	"profile_complete" boolean NOT NULL
);
--> statement-breakpoint
ALTER TABLE "core"."player_profiles" ADD CONSTRAINT "player_profiles_player_id_participants_id_fk" FOREIGN KEY ("player_id") REFERENCES "core"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."player_profiles" ADD CONSTRAINT "player_profiles_team_id_participants_id_fk" FOREIGN KEY ("team_id") REFERENCES "core"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "participants_players_bytewise" ON "core"."participants" USING btree ("id" COLLATE "C") WHERE "core"."participants"."kind" = 'player';