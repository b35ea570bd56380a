CREATE SCHEMA "raw";
--> statement-breakpoint
CREATE SCHEMA "core";
--> statement-breakpoint
CREATE SCHEMA "ratings";
--> statement-breakpoint
CREATE SCHEMA "curated";
--> statement-breakpoint
CREATE SCHEMA "ops";
--> statement-breakpoint
CREATE TABLE "raw"."payloads" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"endpoint" text NOT NULL,
	"key" text NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"http_status" integer NOT NULL,
	"sha256" text NOT NULL,
	"body" jsonb NOT NULL,
	"quarantined" boolean DEFAULT false NOT NULL,
	"contract_error" text,
	"run_id" text,
	CONSTRAINT "payloads_sha256_hex" CHECK ("raw"."payloads"."sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "payloads_quarantine_has_reason" CHECK (NOT "raw"."payloads"."quarantined" OR "raw"."payloads"."contract_error" IS NOT NULL)
);
--> statement-breakpoint
CREATE TABLE "core"."appearances" (
	"match_id" text NOT NULL,
	"player_id" text NOT NULL,
	"team_id" text NOT NULL,
	"side" text NOT NULL,
	"starter" boolean NOT NULL,
	"minutes" integer,
	"position" text,
	"shirt_number" integer,
	CONSTRAINT "appearances_match_id_player_id_pk" PRIMARY KEY("match_id","player_id"),
	CONSTRAINT "appearances_side" CHECK ("core"."appearances"."side" IN ('home', 'away'))
);
--> statement-breakpoint
CREATE TABLE "core"."competitions" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"sport" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "core"."incidents" (
	"match_id" text NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"minute" integer,
	"added_time" integer,
	"side" text,
	"player_id" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "incidents_match_id_seq_pk" PRIMARY KEY("match_id","seq")
);
--> statement-breakpoint
CREATE TABLE "core"."matches" (
	"id" text PRIMARY KEY NOT NULL,
	"competition_id" text NOT NULL,
	"season_id" text NOT NULL,
	"start_time" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"home_id" text NOT NULL,
	"away_id" text NOT NULL,
	"home_score" integer,
	"away_score" integer,
	"home_penalties" integer,
	"away_penalties" integer,
	"winner" text,
	"neutral" boolean DEFAULT false NOT NULL,
	"round" integer,
	"flagged" boolean DEFAULT false NOT NULL,
	"source_changed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "matches_status" CHECK ("core"."matches"."status" IN ('notstarted', 'inprogress', 'finished', 'postponed', 'canceled')),
	CONSTRAINT "matches_winner" CHECK ("core"."matches"."winner" IS NULL OR "core"."matches"."winner" IN ('home', 'away', 'draw')),
	CONSTRAINT "matches_distinct_sides" CHECK ("core"."matches"."home_id" <> "core"."matches"."away_id")
);
--> statement-breakpoint
CREATE TABLE "core"."participants" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"short_name" text,
	"country" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "participants_kind" CHECK ("core"."participants"."kind" IN ('team', 'player'))
);
--> statement-breakpoint
CREATE TABLE "core"."seasons" (
	"id" text PRIMARY KEY NOT NULL,
	"competition_id" text NOT NULL,
	"name" text NOT NULL,
	"year" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "core"."source_ids" (
	"source" text NOT NULL,
	"entity" text NOT NULL,
	"source_id" text NOT NULL,
	"core_id" text NOT NULL,
	CONSTRAINT "source_ids_source_entity_source_id_pk" PRIMARY KEY("source","entity","source_id")
);
--> statement-breakpoint
CREATE TABLE "ratings"."current_ratings" (
	"pool_id" text NOT NULL,
	"participant_id" text NOT NULL,
	"rating" double precision NOT NULL,
	"games" integer NOT NULL,
	"last_match_id" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "current_ratings_pool_id_participant_id_pk" PRIMARY KEY("pool_id","participant_id")
);
--> statement-breakpoint
CREATE TABLE "ratings"."dirty_markers" (
	"pool_id" text PRIMARY KEY NOT NULL,
	"from_start_time" timestamp with time zone NOT NULL,
	"from_match_id" text NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ratings"."match_ratings" (
	"pool_id" text NOT NULL,
	"match_id" text NOT NULL,
	"start_time" timestamp with time zone NOT NULL,
	"home_id" text NOT NULL,
	"away_id" text NOT NULL,
	"home_pre" double precision NOT NULL,
	"away_pre" double precision NOT NULL,
	"home_post" double precision NOT NULL,
	"away_post" double precision NOT NULL,
	"expected_home" double precision NOT NULL,
	CONSTRAINT "match_ratings_pool_id_match_id_pk" PRIMARY KEY("pool_id","match_id")
);
--> statement-breakpoint
CREATE TABLE "ratings"."pools" (
	"id" text PRIMARY KEY NOT NULL,
	"params" jsonb NOT NULL,
	"params_hash" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "curated"."standings" (
	"competition_id" text NOT NULL,
	"season_id" text NOT NULL,
	"participant_id" text NOT NULL,
	"position" integer NOT NULL,
	"played" integer NOT NULL,
	"won" integer NOT NULL,
	"drawn" integer NOT NULL,
	"lost" integer NOT NULL,
	"goals_for" integer NOT NULL,
	"goals_against" integer NOT NULL,
	"points" integer NOT NULL,
	CONSTRAINT "standings_season_id_participant_id_pk" PRIMARY KEY("season_id","participant_id")
);
--> statement-breakpoint
CREATE TABLE "ops"."checkpoints" (
	"name" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"run_id" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ops"."pipeline_runs" (
	"run_id" text PRIMARY KEY NOT NULL,
	"trigger" text NOT NULL,
	"scope" jsonb NOT NULL,
	"env" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"failed_stage" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"counters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	CONSTRAINT "pipeline_runs_status" CHECK ("ops"."pipeline_runs"."status" IN ('running', 'ok', 'partial', 'failed')),
	CONSTRAINT "pipeline_runs_failed_stage" CHECK ("ops"."pipeline_runs"."status" <> 'failed' OR "ops"."pipeline_runs"."failed_stage" IS NOT NULL)
);
--> statement-breakpoint
CREATE TABLE "ops"."stage_runs" (
	"run_id" text NOT NULL,
	"stage" text NOT NULL,
	"scope_key" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"counters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	CONSTRAINT "stage_runs_run_id_stage_scope_key_pk" PRIMARY KEY("run_id","stage","scope_key"),
	CONSTRAINT "stage_runs_status" CHECK ("ops"."stage_runs"."status" IN ('running', 'ok', 'partial', 'failed', 'skipped'))
);
--> statement-breakpoint
ALTER TABLE "core"."appearances" ADD CONSTRAINT "appearances_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "core"."matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."appearances" ADD CONSTRAINT "appearances_player_id_participants_id_fk" FOREIGN KEY ("player_id") REFERENCES "core"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."appearances" ADD CONSTRAINT "appearances_team_id_participants_id_fk" FOREIGN KEY ("team_id") REFERENCES "core"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."incidents" ADD CONSTRAINT "incidents_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "core"."matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD CONSTRAINT "matches_competition_id_competitions_id_fk" FOREIGN KEY ("competition_id") REFERENCES "core"."competitions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD CONSTRAINT "matches_season_id_seasons_id_fk" FOREIGN KEY ("season_id") REFERENCES "core"."seasons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD CONSTRAINT "matches_home_id_participants_id_fk" FOREIGN KEY ("home_id") REFERENCES "core"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."matches" ADD CONSTRAINT "matches_away_id_participants_id_fk" FOREIGN KEY ("away_id") REFERENCES "core"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core"."seasons" ADD CONSTRAINT "seasons_competition_id_competitions_id_fk" FOREIGN KEY ("competition_id") REFERENCES "core"."competitions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ratings"."current_ratings" ADD CONSTRAINT "current_ratings_pool_id_pools_id_fk" FOREIGN KEY ("pool_id") REFERENCES "ratings"."pools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ratings"."match_ratings" ADD CONSTRAINT "match_ratings_pool_id_pools_id_fk" FOREIGN KEY ("pool_id") REFERENCES "ratings"."pools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ops"."stage_runs" ADD CONSTRAINT "stage_runs_run_id_pipeline_runs_run_id_fk" FOREIGN KEY ("run_id") REFERENCES "ops"."pipeline_runs"("run_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "payloads_content_key" ON "raw"."payloads" USING btree ("source","endpoint","key","sha256");--> statement-breakpoint
CREATE INDEX "payloads_latest" ON "raw"."payloads" USING btree ("source","endpoint","key","fetched_at");--> statement-breakpoint
CREATE INDEX "payloads_quarantined" ON "raw"."payloads" USING btree ("fetched_at") WHERE "raw"."payloads"."quarantined";--> statement-breakpoint
CREATE INDEX "appearances_player" ON "core"."appearances" USING btree ("player_id");--> statement-breakpoint
CREATE INDEX "matches_season_start" ON "core"."matches" USING btree ("season_id","start_time","id");--> statement-breakpoint
CREATE INDEX "matches_start" ON "core"."matches" USING btree ("start_time","id");--> statement-breakpoint
CREATE INDEX "seasons_competition" ON "core"."seasons" USING btree ("competition_id");--> statement-breakpoint
CREATE INDEX "source_ids_core" ON "core"."source_ids" USING btree ("entity","core_id");--> statement-breakpoint
CREATE INDEX "match_ratings_order" ON "ratings"."match_ratings" USING btree ("pool_id","start_time","match_id");--> statement-breakpoint
CREATE INDEX "pipeline_runs_started" ON "ops"."pipeline_runs" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "pipeline_runs_status" ON "ops"."pipeline_runs" USING btree ("status","started_at");