/**
 * Server-side secrets generated on first use and shared by every process on the database
 * (unsubscribe-link signing, the Stripe sandbox's webhook secret). Stored in
 * `system_secrets`, which tenant work cannot read.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../runtime/db/driver.ts';

export interface SystemSecrets {
  get(name: string): Promise<string>;
}

export function systemSecrets(db: Db): SystemSecrets {
  const cache = new Map<string, Promise<string>>();
  return {
    get(name) {
      let v = cache.get(name);
      if (!v) {
        v = db.system(async (tx) => {
          await tx.query(`INSERT INTO system_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
            name,
            randomBytes(32).toString('hex'),
          ]);
          const r = await tx.query<{ value: string }>(`SELECT value FROM system_secrets WHERE name = $1`, [name]);
          return r.rows[0]!.value;
        });
        v.catch(() => cache.delete(name));
        cache.set(name, v);
      }
      return v;
    },
  };
}
