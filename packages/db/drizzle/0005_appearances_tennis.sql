CREATE TABLE "curated"."player_appearances" (
	"competition_id" text NOT NULL,
	"season_id" text NOT NULL,
	"player_id" text NOT NULL,
	"player_name" text NOT NULL,
	"team_id" text NOT NULL,
	"appearances" integer NOT NULL,
	"starts" integer NOT NULL,
	"minutes" integer NOT NULL,
	"goals" integer NOT NULL,
	"yellow_cards" integer NOT NULL,
	"red_cards" integer NOT NULL,
	CONSTRAINT "player_appearances_season_id_player_id_team_id_pk" PRIMARY KEY("season_id","player_id","team_id")
);
--> statement-breakpoint
CREATE TABLE "curated"."tennis_records" (
	"competition_id" text NOT NULL,
	"season_id" text NOT NULL,
	"player_id" text NOT NULL,
	"player_name" text NOT NULL,
	"surface" text NOT NULL,
	"played" integer NOT NULL,
	"won" integer NOT NULL,
	"lost" integer NOT NULL,
	"retired" integer NOT NULL,
	CONSTRAINT "tennis_records_season_id_player_id_surface_pk" PRIMARY KEY("season_id","player_id","surface")
);
--> statement-breakpoint
ALTER TABLE "core"."matches" ADD COLUMN "surface" text;