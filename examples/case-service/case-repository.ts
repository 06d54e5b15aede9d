import { randomUUID } from 'node:crypto';

/** A dental lab case. `lab_id` and `created_by` come from the access token, never from the request body. */
export interface Case {
  id: string;
  lab_id: string;
  patient_name: string;
  case_type: string;
  doctor: string;
  product: string;
  created_by: string;
  created_at: string;
}

export type NewCase = Pick<Case, 'patient_name' | 'case_type' | 'doctor' | 'product'>;

/**
 * Storage of cases. Every method takes the lab id as its first argument and sees that lab only,
 * so a handler cannot forget the tenant filter: there is no query without one.
 */
export interface CaseRepository {
  list(labId: string): Promise<Case[]>;
  find(labId: string, id: string): Promise<Case | undefined>;
  create(labId: string, createdBy: string, input: NewCase): Promise<Case>;
  /** Resolves false when the lab holds no such case (including when another lab does). */
  remove(labId: string, id: string): Promise<boolean>;
}

/**
 * An in-memory repository, enough for the example. Cases are kept in one map per lab: a lookup
 * in the wrong lab finds nothing, whatever the id.
 */
export function createMemoryCaseRepository(): CaseRepository {
  const labs = new Map<string, Map<string, Case>>();
  const casesOf = (labId: string) => {
    let cases = labs.get(labId);
    if (!cases) labs.set(labId, (cases = new Map()));
    return cases;
  };
  // Copies out, so a caller mutating a result cannot change what is stored.
  const copy = (c: Case): Case => ({ ...c });

  return {
    async list(labId) {
      return [...(labs.get(labId)?.values() ?? [])].sort((a, b) => b.created_at.localeCompare(a.created_at)).map(copy);
    },
    async find(labId, id) {
      const found = labs.get(labId)?.get(id);
      return found && copy(found);
    },
    async create(labId, createdBy, input) {
      const created: Case = {
        id: randomUUID(),
        lab_id: labId,
        patient_name: input.patient_name,
        case_type: input.case_type,
        doctor: input.doctor,
        product: input.product,
        created_by: createdBy,
        created_at: new Date().toISOString(),
      };
      casesOf(labId).set(created.id, created);
      return copy(created);
    },
    async remove(labId, id) {
      return labs.get(labId)?.delete(id) ?? false;
    },
  };
}
