import { ScanStatus } from '@gatehouse/shared/contracts';
import type { Connection, FilterQuery, Model, UpdateQuery } from 'mongoose';
import { isDuplicateKey } from './is-duplicate-key';
import { ScanStoreUnavailableError } from './scan-store-unavailable.error';

// The conditions a projection needs on the document it overwrites (ADR 0002, ADR 0006).
export interface UpdateGuard {
  statuses?: ScanStatus[];
  // attempts <= maxAttempt: a newer attempt's projection is never rolled back.
  maxAttempt?: number;
  attempt?: number;
  workerId?: string;
  // Attempt-log entries: only a claim (its lease, or its release) or a delivery (its outcome) is
  // ever updated.
  kind?: 'claim' | 'end' | 'delivery';
}

interface Guarded {
  status?: ScanStatus;
  attempts?: number;
  workerId?: string | null;
  kind?: string;
}

export function guardFilter(guard: UpdateGuard): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (guard.statuses) filter['status'] = { $in: guard.statuses };
  if (guard.maxAttempt !== undefined)
    filter['attempts'] = { $lte: guard.maxAttempt };
  if (guard.attempt !== undefined) filter['attempts'] = guard.attempt;
  if (guard.workerId !== undefined) filter['workerId'] = guard.workerId;
  if (guard.kind !== undefined) filter['kind'] = guard.kind;
  return filter;
}

export function guardHolds(doc: Guarded, guard: UpdateGuard): boolean {
  const attempts = doc.attempts ?? 0;
  return (
    (!guard.statuses ||
      (doc.status !== undefined && guard.statuses.includes(doc.status))) &&
    (guard.maxAttempt === undefined || attempts <= guard.maxAttempt) &&
    (guard.attempt === undefined || attempts === guard.attempt) &&
    (guard.workerId === undefined || doc.workerId === guard.workerId) &&
    (guard.kind === undefined || doc.kind === guard.kind)
  );
}

const flavours = new WeakMap<Connection, Promise<boolean>>();

// FerretDB 1.x answers buildInfo with `ferretdbVersion`. Asked once per connection; a failed
// question (database down) is asked again next time.
export function isFerretDb(connection: Connection): Promise<boolean> {
  let known = flavours.get(connection);
  if (!known) {
    known = (async () => {
      const db = connection.db;
      if (!db) throw new ScanStoreUnavailableError(new Error('not connected'));
      const info = await db.admin().command({ buildInfo: 1 });
      return 'ferretdbVersion' in info;
    })();
    known.catch(() => flavours.delete(connection));
    flavours.set(connection, known);
  }
  return known;
}

// Updates one document by _id if the guard holds. On MongoDB the guard is part of the filter, so
// the check and the write are one atomic step. FerretDB 1.x evaluates any filter other than
// {_id: value} in Go over the whole collection, and is no more atomic when it does (it reads,
// then writes back), so there the guard is checked on a read by _id and the write addresses
// _id alone: the same semantics, without evaluating a filter in Go over the whole collection.
// `checkedAfter`: the caller checks the attempt log after the write and re-applies whatever the
// guard would have kept (ScanProjector's settle), so on FerretDB the read is skipped and true
// means only that the document exists.
export async function updateGuarded<T>(
  model: Model<T>,
  id: unknown,
  guard: UpdateGuard,
  update: UpdateQuery<T>,
  { checkedAfter = false } = {},
): Promise<boolean> {
  if (await isFerretDb(model.db)) {
    if (!checkedAfter && !(await holdsOnRead(model, id, guard))) return false;
    const result = await model.updateOne({ _id: id } as FilterQuery<T>, update);
    return result.matchedCount > 0;
  }
  const result = await model.updateOne(
    { _id: id, ...guardFilter(guard) } as FilterQuery<T>,
    update,
  );
  return result.matchedCount > 0;
}

// updateGuarded for many documents in one command, one statement each, none waiting on
// another's. On FerretDB a guard that is not `checkedAfter` needs its read first, so that
// document gets its own updateGuarded. Mongoose casts each statement and sets the schema's
// timestamps.
export async function updateEachGuarded<T>(
  model: Model<T>,
  updates: {
    id: unknown;
    guard: UpdateGuard;
    update: UpdateQuery<T>;
    checkedAfter?: boolean;
  }[],
): Promise<void> {
  const ferret = await isFerretDb(model.db);
  const read = ferret ? updates.filter((each) => !each.checkedAfter) : [];
  const bulk = ferret ? updates.filter((each) => each.checkedAfter) : updates;
  await Promise.all([
    ...read.map(({ id, guard, update }) =>
      updateGuarded(model, id, guard, update),
    ),
    bulk.length > 0 &&
      model.bulkWrite(
        bulk.map(({ id, guard, update }) => ({
          updateOne: {
            filter: { _id: id, ...(ferret ? {} : guardFilter(guard)) },
            update,
          },
        })) as Parameters<Model<T>['bulkWrite']>[0],
        { ordered: false },
      ),
  ]);
}

// Deletes one document by _id if the guard holds; the same two ways as updateGuarded.
export async function deleteGuarded<T>(
  model: Model<T>,
  id: unknown,
  guard: UpdateGuard,
): Promise<boolean> {
  if (await isFerretDb(model.db)) {
    if (!(await holdsOnRead(model, id, guard))) return false;
    return (
      (await model.deleteOne({ _id: id } as FilterQuery<T>)).deletedCount > 0
    );
  }
  const result = await model.deleteOne({
    _id: id,
    ...guardFilter(guard),
  } as FilterQuery<T>);
  return result.deletedCount > 0;
}

// The FerretDB side of both: the guard checked on a read by _id.
async function holdsOnRead<T>(
  model: Model<T>,
  id: unknown,
  guard: UpdateGuard,
): Promise<boolean> {
  const doc = await model
    .findOne({ _id: id } as FilterQuery<T>, {
      status: 1,
      attempts: 1,
      workerId: 1,
      kind: 1,
    })
    .lean<Guarded>();
  return doc !== null && guardHolds(doc, guard);
}

// Inserts unless a document with this _id exists; false when it did. Callers build every field,
// so the driver's insert is used as is: a mongoose document, its validation and a rejected
// save's error object would cost more than the insert itself on the claim path, where losing
// the race is common.
export async function insertIfAbsent<T>(
  model: Model<T>,
  doc: Partial<T>,
): Promise<boolean> {
  try {
    await model.collection.insertOne(doc as Record<string, unknown>);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

// insertIfAbsent for many documents in one unordered command: each insert is decided on its
// own, and a duplicate _id fails only its own. For each document, true when it was inserted.
export async function insertEachIfAbsent<T>(
  model: Model<T>,
  docs: Partial<T>[],
): Promise<boolean[]> {
  if (docs.length === 0) return [];
  try {
    await model.collection.insertMany(docs as Record<string, unknown>[], {
      ordered: false,
    });
    return docs.map(() => true);
  } catch (error) {
    const failed = duplicateIndexes(error);
    if (!failed) throw error;
    return docs.map((_, i) => !failed.has(i));
  }
}

// The indexes of a bulk write's failed statements when every failure is a duplicate key and the
// write concern was met; null for any other error.
function duplicateIndexes(error: unknown): Set<number> | null {
  if (typeof error !== 'object' || error === null) return null;
  const { writeErrors, result } = error as {
    writeErrors?: unknown;
    result?: { getWriteConcernError?: () => unknown };
  };
  if (
    writeErrors === undefined ||
    typeof result?.getWriteConcernError !== 'function' ||
    result.getWriteConcernError() !== undefined
  )
    return null;
  const errors = (Array.isArray(writeErrors) ? writeErrors : [writeErrors]) as {
    index?: unknown;
  }[];
  if (errors.length === 0) return null;
  const failed = new Set<number>();
  for (const each of errors) {
    if (!isDuplicateKey(each) || typeof each.index !== 'number') return null;
    failed.add(each.index);
  }
  return failed;
}
