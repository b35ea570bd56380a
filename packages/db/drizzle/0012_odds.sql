-- The `odds` stage: pre-match 1X2 price snapshots and poll state per match, and the curated
-- closing-line table built from them.
CREATE TABLE "core"."odds_polls" (
	"match_id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"source_id" text NOT NULL,
	"first_polled_at" timestamp with time zone NOT NULL,
	"last_polled_at" timestamp with time zone NOT NULL,
	"polls" integer NOT NULL,
	"last_outcome" text NOT NULL,
	"last_sha256" text,
	"closed" boolean NOT NULL,
	CONSTRAINT "odds_polls_outcome" CHECK ("core"."odds_polls"."last_outcome" IN ('prices', 'no-market', 'quarantined', 'unreadable')),
	CONSTRAINT "odds_polls_last_sha256_hex" CHECK ("core"."odds_polls"."last_sha256" IS NULL OR "core"."odds_polls"."last_sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "core"."odds_snapshots" (
	"match_id" text NOT NULL,
	"market" text NOT NULL,
	"observed_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"home_decimal" double precision NOT NULL,
	"draw_decimal" double precision NOT NULL,
	"away_decimal" double precision NOT NULL,
	"home_fractional" text NOT NULL,
	"draw_fractional" text NOT NULL,
	"away_fractional" text NOT NULL,
	"opening_home_decimal" double precision NOT NULL,
	"opening_draw_decimal" double precision NOT NULL,
	"opening_away_decimal" double precision NOT NULL,
	"opening_home_fractional" text NOT NULL,
	"opening_draw_fractional" text NOT NULL,
	"opening_away_fractional" text NOT NULL,
	"raw_sha256" text NOT NULL,
	CONSTRAINT "odds_snapshots_match_id_market_observed_at_pk" PRIMARY KEY("match_id","market","observed_at"),
	CONSTRAINT "odds_snapshots_market" CHECK ("core"."odds_snapshots"."market" IN ('1X2')),
	CONSTRAINT "odds_snapshots_prices" CHECK ("core"."odds_snapshots"."home_decimal" > 1 AND "core"."odds_snapshots"."draw_decimal" > 1 AND "core"."odds_snapshots"."away_decimal" > 1),
	CONSTRAINT "odds_snapshots_raw_sha256_hex" CHECK ("core"."odds_snapshots"."raw_sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "curated"."match_odds" (
	"match_id" text PRIMARY KEY NOT NULL,
	"competition_id" text NOT NULL,
	"season_id" text NOT NULL,
	"start_time" timestamp with time zone NOT NULL,
	"home_id" text NOT NULL,
	"away_id" text NOT NULL,
	"home_goals" integer NOT NULL,
	"away_goals" integer NOT NULL,
	"result" text NOT NULL,
	"opening_home" double precision NOT NULL,
	"opening_draw" double precision NOT NULL,
	"opening_away" double precision NOT NULL,
	"closing_home" double precision NOT NULL,
	"closing_draw" double precision NOT NULL,
	"closing_away" double precision NOT NULL,
	"opening_prob_home" double precision NOT NULL,
	"opening_prob_draw" double precision NOT NULL,
	"opening_prob_away" double precision NOT NULL,
	"closing_prob_home" double precision NOT NULL,
	"closing_prob_draw" double precision NOT NULL,
	"closing_prob_away" double precision NOT NULL,
	"opening_overround" double precision NOT NULL,
	"closing_overround" double precision NOT NULL,
	"move_home" double precision NOT NULL,
	"move_draw" double precision NOT NULL,
	"move_away" double precision NOT NULL,
	"price_changes" integer NOT NULL,
	"snapshots" integer NOT NULL,
	"closing_confirmed" boolean NOT NULL,
	"market_expected_home" double precision NOT NULL,
	"pool_id" text,
	"elo_expected_home" double precision,
	"actual_home" double precision NOT NULL,
	"market_error" double precision NOT NULL,
	"elo_error" double precision
);
--> statement-breakpoint
ALTER TABLE "core"."odds_polls" ADD CONSTRAINT "odds_polls_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "core"."matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."odds_snapshots" ADD CONSTRAINT "odds_snapshots_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "core"."matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "odds_polls_open" ON "core"."odds_polls" USING btree ("match_id") WHERE NOT "core"."odds_polls"."closed";--> statement-breakpoint
CREATE INDEX "match_odds_season" ON "curated"."match_odds" USING btree ("season_id","start_time");