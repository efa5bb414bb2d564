export const greeting = (name = 'world'): string => `hello, ${name}`;
