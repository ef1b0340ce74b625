/** Custom commands' records: who owns them, their versions, builds and instances. */
export * from './command.registry';
export * from './command.catalog';
