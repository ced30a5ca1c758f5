// A consumer nobody on the cqrs project wrote: KafkaJS reads an event topic (read_committed) and Confluent's
// own JavaScript registry client decodes each Avro payload by the schema id in it, through our registry.
// Prints one JSON line per record: key, partition, offset, headers (as text) and the decoded value.
//
//   node consume.mjs <bootstrap servers> <registry url> <topic> <expected record count>
//
// Exits 0 once the expected count arrived and 1.5 s passed without more (so a duplicate would show),
// 2 when fewer arrived within 60 s, 1 on any error.
import { Kafka, logLevel } from 'kafkajs';
import { AvroDeserializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry';

const [bootstrap, registryUrl, topic, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
const kafka = new Kafka({ clientId: 'cqrs-interop-kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.WARN });
// readUncommitted: false is KafkaJS's isolation.level=read_committed (its default, written out).
const consumer = kafka.consumer({ groupId: `cqrs-interop-${process.pid}-${Date.now()}`, readUncommitted: false });
const deserializer = new AvroDeserializer(new SchemaRegistryClient({ baseURLs: [registryUrl] }), SerdeType.VALUE, {});

let count = 0;
let finish;
const finished = new Promise((resolve) => { finish = resolve; });
let quiet;
const deadline = setTimeout(() => {
  console.error(`only ${count} of ${expected} records of ${topic} arrived within 60 s`);
  finish();
}, 60_000);

try {
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v.toString()]));
      const value = await deserializer.deserialize(topic, message.value);
      console.log(JSON.stringify({ key: message.key.toString(), partition, offset: message.offset, headers, value }));
      count++;
      if (count >= expected) {
        clearTimeout(quiet);
        quiet = setTimeout(finish, 1_500);
      }
    },
  });
  await finished;
  clearTimeout(deadline);
  await consumer.disconnect();
  process.exit(count >= expected ? 0 : 2);
} catch (error) {
  console.error(error);
  process.exit(1);
}
