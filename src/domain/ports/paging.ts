export interface Paging { limit: number; offset: number }
export interface Page<T> { items: T[]; total: number }
