/**
 * Engine faults survived, on servers the tests start and stop themselves (never the shared
 * ones): PostgreSQL restarted under load on each engine that keeps tasks in it, and Redis
 * restarted under load. One file, so that the two never run at once and crowd each other.
 * The scenarios: test/fault-postgres-restart.ts and test/fault-redis-restart.ts.
 */
import { describePostgresRestart } from './fault-postgres-restart.ts';
import { describeRedisRestart } from './fault-redis-restart.ts';

describePostgresRestart(['pg', 'pg-redis']);
describeRedisRestart();
