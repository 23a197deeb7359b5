/**
 * The streaming specs: one per contract dataset whose source has a `stream_topic` (the
 * Event Hubs hub / Kafka topic infra creates for it). What the PySpark runtime's
 * `streampulse-spark stream` runs as a Structured Streaming query: the Kafka source on
 * the topic, the record value as one JSON line parsed, cast and checked by the dataset's
 * bronze job spec (the same parse, audit columns, rules, watermark and quarantine as the
 * batch path), `withWatermark` on the contract's event time, and a `foreachBatch` that
 * MERGEs each micro-batch into the bronze and quarantine Delta tables (keyed by the Kafka
 * record: a replayed micro-batch inserts nothing) and runs the dataset's silver job spec
 * for it (history partition replaced, state MERGEd). Pure: contracts + plan in, specs out.
 */
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { SPEC_VERSION, type ColumnSpec, type JobPlan, type JobSpec } from './spec.js';

/** Where a stream's checkpoint lives, relative to the storage root (`<file system>/<path>`): beside the bronze tables it writes. */
export const STREAM_CHECKPOINT_DIR = 'bronze/_checkpoints/stream';

/** The Kafka source settings every stream uses (the Spark Kafka source options they become, in the runtime). */
export interface StreamSourceSpec {
  readonly format: 'kafka';
  readonly topic: string;
  /** The contract's `source.stream_key`: the column producers key the records by (their partition), or null. A record is identified by its topic, partition and offset, not by this. */
  readonly key: string | null;
  /** `startingOffsets` of a new query (a query with a checkpoint resumes from it): every record the hub still retains. */
  readonly starting_offsets: 'earliest';
  /** `failOnDataLoss`: a record that expired from the hub before the stream read it stops the query instead of passing silently. */
  readonly fail_on_data_loss: true;
  /** `maxOffsetsPerTrigger`: records per micro-batch at most (`availableNow` splits a backlog into several). */
  readonly max_offsets_per_trigger: number;
  /** Records are JSON objects in the value (UTF-8), one record per message: the landing file's line. */
  readonly value: 'json';
}

export interface StreamSpec {
  readonly spec_version: typeof SPEC_VERSION;
  /** `stream.<dataset>`. */
  readonly id: string;
  readonly name: string;
  readonly contract: string;
  readonly source: StreamSourceSpec;
  /** The dataset's columns with their casts: the bronze job spec's `parse` step (the runtime refuses specs where they differ). */
  readonly columns: readonly ColumnSpec[];
  /** The contract's event time and watermark (`watermark.max_delay_hours`): Spark's `withWatermark` delay and the bronze `late:beyond_watermark` rule. */
  readonly watermark: { readonly event_time: string; readonly max_delay_hours: number; readonly delay_threshold: string };
  /** The job specs of the plan whose steps each micro-batch runs. */
  readonly bronze_job: string;
  readonly silver_job: string;
  /** Delta tables written, relative to the storage root, and the columns each MERGE is keyed on. */
  readonly targets: {
    readonly bronze: { readonly table: string; readonly merge_key: readonly string[] };
    readonly quarantine: { readonly table: string; readonly merge_key: readonly string[] };
    readonly silver: { readonly table: string; readonly merge_key: readonly string[] };
  };
  /** The query's checkpoint (offsets and commits), relative to the storage root. */
  readonly checkpoint: string;
  /** `trigger`: `available_now` — every record available at start, in micro-batches, then the query stops (a scheduled job, not an always-on cluster). */
  readonly trigger: 'available_now';
}

export interface StreamPlan {
  readonly spec_version: typeof SPEC_VERSION;
  readonly streams: readonly StreamSpec[];
}

/** Records per micro-batch at most. */
export const STREAM_MAX_OFFSETS_PER_TRIGGER = 50_000;

/**
 * The bronze row of a Kafka record: `_source_file` is `kafka:<topic>/<partition>` and
 * `_line_no` its offset, so (topic, partition, offset) — the record's identity — is the
 * bronze and quarantine MERGE key.
 */
export const STREAM_RECORD_KEY = ['_source_file', '_line_no'] as const;

const stepOf = <Op extends JobSpec['steps'][number]['op']>(job: JobSpec, op: Op): Extract<JobSpec['steps'][number], { op: Op }> | undefined =>
  job.steps.find((s) => s.op === op) as Extract<JobSpec['steps'][number], { op: Op }> | undefined;

/** The stream specs of the datasets with a `stream_topic`, sorted by id. */
export function compileStreams(set: ContractSet, plan: JobPlan): StreamPlan {
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const streams: StreamSpec[] = [];
  for (const ds of set.datasets) {
    const topic = ds.source.stream_topic;
    if (topic === undefined) continue;
    const bronze = byId.get(`bronze.${ds.dataset}`);
    const silver = byId.get(`silver.${ds.dataset}`);
    const parse = bronze === undefined ? undefined : stepOf(bronze, 'parse');
    const merge = silver === undefined ? undefined : stepOf(silver, 'merge');
    if (bronze === undefined || silver === undefined || parse === undefined || merge === undefined)
      throw new StreamPulseError(
        'STREAM_WITHOUT_JOBS',
        `${ds.file}: source.stream_topic ${topic} needs the bronze and silver job specs of ${ds.dataset} in the plan`,
        {
          remedy: 'compile the plan with compileJobs(set) from the same contracts and pass it to compileStreams',
        },
      );
    if (ds.source.format !== 'jsonl')
      throw new StreamPulseError(
        'STREAM_FORMAT',
        `${ds.file}: source.stream_topic ${topic} carries JSON records, but source.format is ${ds.source.format}; the stream parses each record as one JSON line`,
        { remedy: 'stream only datasets whose landing format is jsonl, or remove source.stream_topic' },
      );
    const h = ds.watermark.max_delay_hours;
    streams.push({
      spec_version: SPEC_VERSION,
      id: `stream.${ds.dataset}`,
      name: ds.dataset,
      contract: ds.file,
      source: {
        format: 'kafka',
        topic,
        key: ds.source.stream_key ?? null,
        starting_offsets: 'earliest',
        fail_on_data_loss: true,
        max_offsets_per_trigger: STREAM_MAX_OFFSETS_PER_TRIGGER,
        value: 'json',
      },
      columns: parse.columns,
      watermark: { event_time: ds.event_time, max_delay_hours: h, delay_threshold: `${h} hours` },
      bronze_job: bronze.id,
      silver_job: silver.id,
      targets: {
        bronze: { table: `bronze/${ds.dataset}`, merge_key: [...STREAM_RECORD_KEY] },
        quarantine: { table: `quarantine/${ds.dataset}`, merge_key: [...STREAM_RECORD_KEY] },
        silver: { table: `silver/${ds.dataset}`, merge_key: [...merge.key] },
      },
      checkpoint: `${STREAM_CHECKPOINT_DIR}/${ds.dataset}`,
      trigger: 'available_now',
    });
  }
  streams.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { spec_version: SPEC_VERSION, streams };
}

/** The specs file the runtime's `stream` command reads beside the job specs (`specs/streams.json`). */
export const STREAM_SPECS_FILE = 'streams.json';
