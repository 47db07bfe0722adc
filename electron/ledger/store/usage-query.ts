import { ApiError } from '../../../shared/errors.js';
import { bucketIndex } from '../time/buckets.js';
import { HOUR_MS, MINUTE_MS } from '../time/ranges.js';
import type { StoreContext } from './context.js';
import { HOSTS, PROJECTS, S_REQUESTS, SUM_COLUMNS, SUM_COUNT, type Dimension } from './rollups.js';
import { BucketCache } from './bucket-cache.js';
import { EDGE_COLUMN, EDGE_SUMS_AT, type RawEdges } from './raw-edges.js';
import { VERSION_TABLES } from './rollup-versions.js';
import { SlidingEdges, type EdgeRow } from './sliding-edges.js';
import { StatementCache } from './statement-cache.js';
import { firstIdAt } from './request-ids.js';
import { mergePieces, planPieces, type Piece } from './usage-plan.js';

/** Which requests to count. Ids already resolved; an empty channel list matches nothing. */
export interface UsageFilter {
  modelId?: number;
  channelIds?: number[];
  apiTypeId?: number;
  /** 0 = requests that name no project; an id never stored (-1) matches nothing. */
  projectId?: number;
  /** 0 = this machine's own requests; an id never stored (-1) matches nothing. */
  hostId?: number;
}

/** Which dimensions the cells are split by besides the bucket and currency (unsplit ones are 0). */
export interface UsageGrouping {
  model?: boolean;
  /**
   * By channel (0: none), its id in the cells' `modelId`: a read splits by model or by channel, never
   * both, and the rollups key both, so one column of the reads serves either.
   */
  channel?: boolean;
  project?: boolean;
  host?: boolean;
}

/** The column of a read that holds the model or, split by channel, the channel: null when it splits by neither. */
function keyColumn(group: UsageGrouping, raw: boolean): string | null {
  if (group.channel) return raw ? 'coalesce(channel_id, 0)' : 'channel_id';
  return group.model ? 'model_id' : null;
}

export interface BucketSpec {
  from: number;
  to: number;
  /** Bucket start times, ascending; the first is at or before `from`. */
  starts: number[];
  /** Width in ms for epoch-aligned buckets; null for calendar (local day) buckets. */
  widthMs: number | null;
}

export interface UsageCell {
  bucket: number;
  /** Split by channel (UsageGrouping.channel), the channel's id. */
  modelId: number;
  projectId: number;
  hostId: number;
  currencyId: number;
  sums: number[];
}

/**
 * The one dimension set a read needs (a filter or a split by project or by host), or null for the
 * plain rollups. Each set sums its own requests, so project and host together cannot be answered
 * from the rollups: that is refused rather than approximated.
 */
export function dimensionOf(filter: UsageFilter, group: UsageGrouping): Dimension | null {
  const project = filter.projectId !== undefined || group.project === true;
  const host = filter.hostId !== undefined || group.host === true;
  if (project && host) {
    throw new ApiError('bad_request', 'project and host cannot be combined (as filters, or one with a split by the other): use one of them', [
      { field: 'host', reason: 'not together with project' },
    ]);
  }
  return project ? PROJECTS : host ? HOSTS : null;
}

function newCell(bucket: number, modelId: number, currencyId: number): UsageCell {
  return { bucket, modelId, projectId: 0, hostId: 0, currencyId, sums: new Array<number>(SUM_COUNT).fill(0) };
}

const RAW_SUMS = [
  'count(*)',
  'sum(success = 0)',
  'sum(input_tokens)',
  'sum(output_tokens)',
  'sum(cache_read_tokens)',
  'sum(cache_write_tokens)',
  'coalesce(sum(cost_nanos), 0)',
  'coalesce(sum(latency_ms), 0)',
  'count(latency_ms)',
];
const ROLLUP_SUMS = SUM_COLUMNS.map((column) => `sum(${column})`);

/** The WHERE terms (and their values) of a filter, for raw rows or one set's rollups. */
function filterClause(raw: boolean, filter: UsageFilter, set: Dimension | null): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.modelId !== undefined) {
    where.push('model_id = ?');
    params.push(filter.modelId);
  }
  if (filter.apiTypeId !== undefined) {
    where.push(raw ? 'coalesce(api_type_id, 0) = ?' : 'api_type_id = ?');
    params.push(filter.apiTypeId);
  }
  const value = set === null ? undefined : filter[set.keyField];
  if (set !== null && value !== undefined) {
    where.push(`${set.column} = ?`);
    params.push(value);
  } else if (raw && set !== null) {
    where.push(`${set.column} IS NOT NULL`);
  }
  if (filter.channelIds !== undefined) {
    where.push(`${raw ? 'coalesce(channel_id, 0)' : 'channel_id'} IN (${filter.channelIds.map(() => '?').join(', ')})`);
    params.push(...filter.channelIds);
  }
  return { where, params };
}

/**
 * Sums of requests per bucket (and per model when grouped) and per currency, read from the coarsest
 * rollups that fit and raw rows only at the edges. Both the summary (one bucket) and the history use it.
 */
export class UsageQuery {
  private readonly cache: StatementCache;
  private readonly kept = new BucketCache();
  private readonly sliding = new SlidingEdges();

  constructor(private readonly ctx: StoreContext) {
    this.cache = new StatementCache(ctx.db);
  }

  /**
   * Unfiltered reads use the plain rollups only. A project (or host) filter reads that dimension's
   * rollups; "none" (filter 0, or the null row of a split: no project, this machine) is the plain
   * sums less the dimension's sums, so the rows of a split always add up to the unsplit total.
   * `plain` may pass cells already read from the plain rollups with the same spec and filter (any
   * grouping) to save reading them again; `edges`, shared by the reads of one answer, reads the raw
   * rows at a single bucket's edges once for every set.
   */
  run(spec: BucketSpec, filter: UsageFilter, grouping: boolean | UsageGrouping, plain?: readonly UsageCell[], edges?: RawEdges): UsageCell[] {
    const group = typeof grouping === 'boolean' ? { model: grouping } : grouping;
    if (filter.channelIds && filter.channelIds.length === 0) return [];
    const pieces: Piece[] = [];
    for (let i = 0; i < spec.starts.length; i++) {
      const from = Math.max(spec.starts[i]!, spec.from);
      const to = Math.min(spec.starts[i + 1] ?? spec.to, spec.to);
      const planned = planPieces(from, to, this.ctx.coverage, this.ctx.calendar);
      const closed = this.closeLastHour(planned, from, to);
      if (closed !== null) {
        pieces.push(...closed);
        continue;
      }
      const last = planned.pop();
      pieces.push(...planned);
      if (last) pieces.push(...this.closeLastMinute(last, spec.starts[i]!));
    }
    const merged = mergePieces(pieces);
    const dim = dimensionOf(filter, group);
    const { projectId: _project, hostId: _host, ...unsplit } = filter;
    const read = (readFilter: UsageFilter, readGroup: UsageGrouping, set: Dimension | null) => this.read(merged, spec, readFilter, readGroup, set, edges);
    const keyed = { model: group.model, channel: group.channel };
    if (dim === null) return read(unsplit, keyed, null);
    const value = filter[dim.keyField];
    if (value !== undefined && value !== 0) {
      const cells = read({ ...unsplit, [dim.keyField]: value }, { ...keyed, [dim.name]: group[dim.name] }, dim);
      for (const cell of cells) cell[dim.keyField] = value;
      return cells;
    }
    const split = read(unsplit, { ...keyed, [dim.name]: true }, dim);
    const none = new Map<string, UsageCell>();
    const cellOf = (bucket: number, modelId: number, currencyId: number) => {
      const key = `${bucket}|${modelId}|${currencyId}`;
      let cell = none.get(key);
      if (!cell) none.set(key, (cell = newCell(bucket, modelId, currencyId)));
      return cell;
    };
    const byKey = keyColumn(group, false) !== null;
    for (const cell of plain ?? read(unsplit, keyed, null)) {
      const target = cellOf(cell.bucket, byKey ? cell.modelId : 0, cell.currencyId).sums;
      for (let i = 0; i < SUM_COUNT; i++) target[i]! += cell.sums[i]!;
    }
    for (const cell of split) {
      const target = cellOf(cell.bucket, cell.modelId, cell.currencyId).sums;
      for (let i = 0; i < SUM_COUNT; i++) target[i]! -= cell.sums[i]!;
    }
    const rest = [...none.values()].filter((cell) => cell.sums[S_REQUESTS] !== 0);
    return value === 0 ? rest : [...split, ...rest];
  }

  /**
   * A bucket ending inside an hour that it holds from the start is answered up to its end from that
   * hour's rollup, where no request is stored from its end to the end of the hour (the rollup then
   * sums exactly the bucket's part of it). A range ending "now" always ends so, and its current hour was
   * read as up to half an hour of minute rows of every key, in each set: ~3 ms of a 5 ms 30-day summary
   * at 10M requests a month, where the hour's rollup holds a few rows per model (its totals, a few per
   * project). Rows stamped after the end (a clock ahead) keep the finer pieces.
   */
  private closeLastHour(planned: readonly Piece[], from: number, to: number): Piece[] | null {
    const hour = to - (to % HOUR_MS);
    if (hour === to || hour < from || hour < this.ctx.coverage.rawHourFrom) return null;
    if (this.rowsBetween.get(firstIdAt(to), firstIdAt(hour + HOUR_MS)) !== undefined) return null;
    // The planner cuts at hour boundaries: every piece before the hour ends by its start.
    return [...planned.filter((piece) => piece.from < hour), { source: 'rollup_hour', from: hour, to: hour + HOUR_MS }];
  }

  /**
   * A bucket's last piece, when raw rows that end inside a minute, is answered from that minute's
   * rollup instead where no request is stored from its end to the end of that minute (the rollup then
   * sums exactly the piece's rows) and the whole minute falls in this bucket (`bucketStart` at or
   * before the minute: the rollup's rows are placed by the minute's start). A range ending "now" always
   * ends so; under sustained ingest its current minute holds thousands of rows that every summary and
   * history would otherwise scan (in each dimension set), while the minute rollup is a few rows per
   * model. Rows stamped after the range's end (a clock ahead) keep the raw read.
   */
  private closeLastMinute(piece: Piece, bucketStart: number): Piece[] {
    const minute = Math.floor(piece.to / MINUTE_MS) * MINUTE_MS;
    const end = minute + MINUTE_MS;
    const closable =
      piece.source === 'requests' &&
      piece.at === undefined &&
      minute !== piece.to &&
      minute >= piece.from &&
      minute >= bucketStart &&
      minute >= this.ctx.coverage.minuteFrom &&
      this.rowsBetween.get(firstIdAt(piece.to), firstIdAt(end)) === undefined;
    if (!closable) return [piece];
    const closed: Piece = { source: 'rollup_minute', from: minute, to: end };
    return minute > piece.from ? [{ source: 'requests', from: piece.from, to: minute }, closed] : [closed];
  }

  /**
   * A single bucket's raw piece from the rows every set shares (RawEdges): the set's own rows are
   * those naming its dimension (or the filter's value), as the per-set SQL would select them.
   */
  private readSharedEdge(piece: Piece, filter: UsageFilter, group: UsageGrouping, set: Dimension | null, edges: RawEdges, add: (row: readonly number[]) => void): void {
    // The summary's reads (the only ones sharing edges) split by model at most.
    if (group.channel) throw new Error('shared raw edges hold no channel');
    const { where, params } = filterClause(true, filter, null);
    const sql =
      `SELECT model_id, coalesce(project_id, 0), coalesce(host_id, 0), coalesce(currency_id, 0), ${RAW_SUMS.join(', ')} FROM requests ` +
      `WHERE ${['id >= ? AND id < ?', ...where].join(' AND ')} GROUP BY 1, 2, 3, 4`;
    const rows = edges.rows(`${piece.from}|${piece.to}|${params.join(',')}|${where.join(' AND ')}`, () =>
      this.edgeRows(`${sql}\u0000${params.join(',')}`, piece.from, piece.to, (from, to) => this.cache.get(sql).raw(true).all(firstIdAt(from), firstIdAt(to), ...params) as number[][]),
    );
    const column = set === null ? -1 : EDGE_COLUMN[set.name];
    const value = set === null ? undefined : filter[set.keyField];
    const split = set !== null && group[set.name] === true;
    const row = new Array<number>(4 + SUM_COUNT).fill(0);
    for (const edge of rows) {
      const dimensionId = column < 0 ? 0 : edge[column]!;
      if (column >= 0 && (value !== undefined ? dimensionId !== value : dimensionId === 0)) continue;
      row[1] = group.model ? edge[0]! : 0;
      row[2] = split ? dimensionId : 0;
      row[3] = edge[3]!;
      for (let i = 0; i < SUM_COUNT; i++) row[4 + i] = edge[EDGE_SUMS_AT + i]!;
      add(row);
    }
  }

  /**
   * A raw or minute piece's rows by `read`: through SlidingEdges when the piece is minutes of one past
   * hour, whose version says whether rows kept from an earlier call still hold. Such pieces are the
   * start of a range: raw rows in an hour older than the minute rollups (a 7- or 30-day range; raw
   * pieces of newer hours are under a minute), or minute rows (a 24-hour range: up to half an hour
   * of every key's minute rows, in each set). The current hour's rows change with every batch.
   */
  private edgeRows(shape: string, from: number, to: number, read: (from: number, to: number) => EdgeRow[]): readonly EdgeRow[] {
    const hour = from - (from % HOUR_MS);
    if (to - from >= 2 * MINUTE_MS && to <= hour + HOUR_MS && hour + HOUR_MS <= this.ctx.now()) {
      const version = this.hourVersion.get(hour) as number | undefined;
      if (version !== undefined) return this.sliding.rows(shape, hour, version, from, to, read);
    }
    return read(from, to);
  }

  private get hourVersion() {
    return this.cache.get(`SELECT version FROM ${VERSION_TABLES.rollup_hour} WHERE bucket = ?`).pluck(true);
  }

  private get rowsBetween() {
    return this.cache.get('SELECT 1 FROM requests WHERE id >= ? AND id < ? LIMIT 1');
  }

  /** `set` null: the plain rollups. */
  private read(pieces: readonly Piece[], spec: BucketSpec, filter: UsageFilter, group: UsageGrouping, set: Dimension | null, edges?: RawEdges): UsageCell[] {
    const cells = new Map<string, UsageCell>();
    for (const piece of pieces) this.readPiece(piece, spec, filter, group, set, cells, edges);
    // A key whose rows were all taken out again (a piece with sign -1) is no row at all.
    return [...cells.values()].filter((cell) => cell.sums[S_REQUESTS] !== 0);
  }

  private readPiece(piece: Piece, spec: BucketSpec, filter: UsageFilter, group: UsageGrouping, set: Dimension | null, cells: Map<string, UsageCell>, edges?: RawEdges): void {
    const raw = piece.source === 'requests';
    // A split by a dimension alone reads its totals (a few rows per value and bucket).
    const key = keyColumn(group, raw);
    const totals = set !== null && key === null && filter.modelId === undefined && filter.apiTypeId === undefined && filter.channelIds === undefined;
    const source = piece.source;
    const table = source === 'requests' || set === null ? source : totals ? set.totals[source] : set.tables[source];
    const time = raw ? '(id >> 10)' : 'bucket';
    const { where, params } = filterClause(raw, filter, set);
    const currency = raw ? 'coalesce(currency_id, 0)' : 'currency_id';
    const model = key ?? '0';
    const splitBy = set !== null && group[set.name] ? set.column : null;
    const dimension = splitBy === null ? '0' : raw ? `coalesce(${splitBy}, 0)` : splitBy;
    const sums = (raw ? RAW_SUMS : ROLLUP_SUMS).join(', ');
    // Grouped by what varies only: a constant (one bucket, no model split) still goes into every
    // key SQLite sorts. The currency always varies, so there is always a group.
    const select = (bucketExpr: string, range: string) =>
      `SELECT ${bucketExpr} AS b, ${model} AS m, ${dimension} AS p, ${currency} AS c, ${sums} FROM ${table} ` +
      `WHERE ${[range, ...where].join(' AND ')} GROUP BY ${[bucketExpr === '0' || bucketExpr === '?' ? null : 'b', key === null ? null : 'm', splitBy === null ? null : 'p', 'c'].filter((term) => term !== null).join(', ')}`;
    const add = (row: readonly number[]) => {
      const bucketStart = row[0]!;
      const bucket = spec.starts.length === 1 ? 0 : bucketIndex(spec.starts, bucketStart);
      const modelId = row[1]!;
      const dimensionId = row[2]!;
      const currencyId = row[3]!;
      const key = `${bucket}|${modelId}|${dimensionId}|${currencyId}`;
      let cell = cells.get(key);
      if (!cell) {
        cells.set(key, (cell = newCell(bucket, modelId, currencyId)));
        if (set !== null) cell[set.keyField] = dimensionId;
      }
      if (piece.sign === -1) for (let i = 0; i < SUM_COUNT; i++) cell.sums[i]! -= row[4 + i] ?? 0;
      else for (let i = 0; i < SUM_COUNT; i++) cell.sums[i]! += row[4 + i] ?? 0;
    };

    if ((source === 'rollup_day' || source === 'rollup_hour') && piece.at === undefined) {
      // Each row placed by its own start: the planner gives hours and days only whole inside one
      // bucket (a CASE over a month's boundaries, evaluated per row, cost more than the rest of the
      // read). Kept between calls while their bucket's version holds (bucket-cache.ts).
      const statement = this.cache.get(select('bucket', 'bucket >= ? AND bucket < ?')).raw(true);
      const shape = `${statement.source}\u0000${params.join(',')}`;
      const versions = this.cache.get(`SELECT bucket, version FROM ${VERSION_TABLES[source]} WHERE bucket >= ? AND bucket < ? ORDER BY bucket`).raw(true);
      this.kept.rows(shape, piece.from, piece.to, versions.all(piece.from, piece.to) as [number, number][], (from, to) => statement.all(from, to, ...params) as number[][], add);
      return;
    }
    if (raw && edges !== undefined && spec.starts.length === 1) {
      this.readSharedEdge(piece, filter, group, set, edges, add);
      return;
    }
    if (raw && spec.widthMs !== null && spec.starts.length > 1 && piece.at === undefined && piece.to - piece.from > spec.widthMs) {
      // Sub-hour buckets past the minute rollups' two days are summed from raw rows. Grouped by a
      // bucket expression, SQLite sorts every row of the piece: 10-minute buckets over 28 days of the
      // 10M benchmark (9.2M rows) took 9.0 s, 2.1 s of it reading them; one query per bucket sorts only
      // that bucket's rows: 4.4 s.
      const statement = this.cache.get(select('?', 'id >= ? AND id < ?')).raw(true);
      const width = spec.widthMs;
      for (let start = piece.from - (piece.from % width); start < piece.to; start += width) {
        const from = Math.max(start, piece.from);
        const to = Math.min(start + width, piece.to);
        for (const row of statement.iterate(start, firstIdAt(from), firstIdAt(to), ...params) as Iterable<number[]>) add(row);
      }
      return;
    }
    if (raw) params.unshift(firstIdAt(piece.from), firstIdAt(piece.to));
    else params.unshift(piece.from, piece.to);
    const range = raw ? 'id >= ? AND id < ?' : 'bucket >= ? AND bucket < ?';

    // Which bucket a minute or raw row falls in: one bucket needs no expression; epoch-aligned widths
    // are a modulo; local days a CASE over the few boundaries inside this piece (minutes are only at
    // the edges, where grouping by each row's start would return many times the rows).
    let bucketExpr: string;
    const bucketParams: unknown[] = [];
    if (spec.starts.length === 1) {
      bucketExpr = '0';
    } else if (piece.at !== undefined) {
      bucketExpr = '?';
      bucketParams.push(spec.starts[Math.max(0, bucketIndex(spec.starts, piece.at))]);
    } else if (spec.widthMs !== null) {
      bucketExpr = `${time} - (${time} % ?)`;
      bucketParams.push(spec.widthMs);
    } else {
      const inside = spec.starts.filter((start) => start > piece.from && start < piece.to);
      const first = spec.starts[bucketIndex(spec.starts, piece.from)] ?? spec.starts[0]!;
      if (inside.length === 0) {
        bucketExpr = '?';
        bucketParams.push(first);
      } else {
        const parts = ['CASE'];
        let previous = first;
        for (const boundary of inside) {
          parts.push(`WHEN ${time} < ? THEN ?`);
          bucketParams.push(boundary, previous);
          previous = boundary;
        }
        parts.push('ELSE ? END');
        bucketParams.push(previous);
        bucketExpr = parts.join(' ');
      }
    }

    const statement = this.cache.get(select(bucketExpr, range)).raw(true);
    if (raw || source === 'rollup_minute') {
      const filterParams = params.slice(2);
      // Raw rows are bounded by id (the time encoded in it), minute rows by their bucket's time.
      const bound = raw ? firstIdAt : (ms: number) => ms;
      const shape = `${statement.source}\u0000${bucketParams.join(',')}\u0000${filterParams.join(',')}`;
      for (const row of this.edgeRows(shape, piece.from, piece.to, (from, to) => statement.all(...bucketParams, bound(from), bound(to), ...filterParams) as number[][])) add(row);
      return;
    }
    for (const row of statement.iterate(...bucketParams, ...params) as Iterable<number[]>) add(row);
  }
}
