CREATE TABLE "curated"."match_summary" (
	"match_id" text PRIMARY KEY NOT NULL,
	"competition_id" text NOT NULL,
	"season_id" text NOT NULL,
	"start_time" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"status_detail" text,
	"round" integer,
	"home_id" text NOT NULL,
	"home_name" text NOT NULL,
	"away_id" text NOT NULL,
	"away_name" text NOT NULL,
	"home_score" integer,
	"away_score" integer,
	"home_penalties" integer,
	"away_penalties" integer,
	"winner" text,
	"pool_id" text,
	"home_rating_pre" double precision,
	"away_rating_pre" double precision,
	"expected_home" double precision
);
--> statement-breakpoint
CREATE TABLE "curated"."rating_leaderboard" (
	"pool_id" text NOT NULL,
	"rank" integer NOT NULL,
	"participant_id" text NOT NULL,
	"name" text NOT NULL,
	"rating" double precision NOT NULL,
	"games" integer NOT NULL,
	"last_match_id" text,
	"change_30d" double precision NOT NULL,
	CONSTRAINT "rating_leaderboard_pool_id_participant_id_pk" PRIMARY KEY("pool_id","participant_id")
);
--> statement-breakpoint
CREATE INDEX "match_summary_season" ON "curated"."match_summary" USING btree ("season_id","start_time");