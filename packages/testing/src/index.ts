export {
  type PrivateRedis,
  type PrivateRedisOptions,
  redisServerAvailable,
  startPrivateRedis,
  TEST_REDIS_URL,
  type TestRedis,
  testRedis,
} from './redis.js';
export { seededShuffle } from './shuffle.js';
