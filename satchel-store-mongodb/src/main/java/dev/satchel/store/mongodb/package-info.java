/**
 * Sessions in MongoDB: {@link dev.satchel.store.mongodb.MongoSessionStore}, one document per
 * session on the official sync driver.
 */
package dev.satchel.store.mongodb;
