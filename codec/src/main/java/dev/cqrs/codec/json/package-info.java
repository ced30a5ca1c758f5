/**
 * The JSON codecs: events and snapshot states as plain JSON objects (Jackson), easy to read in SQL
 * and in logs. The event type travels beside the payload, never inside it.
 */
package dev.cqrs.codec.json;
